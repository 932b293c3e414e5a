"""Exercise feedback, shared by the chapters and the autograder.

Each ``check_*`` function takes a student's answer (usually a function), tries it on many inputs
and returns a :class:`Feedback`: ``passed`` and a message that names the mistake when it
recognises one ("your std is 0.71× the target: did you use fan_in + fan_out without the 2?").

The checks test *properties*, never one seeded array: formulas are compared on many shapes, and
samplers by their statistics (mean, std, support and shape of the distribution) with tolerances of
five standard errors, so any correct implementation passes (false failure < 1e-6 per check).
In a notebook a Feedback displays as a coloured box; an autograder test does
``check_x(answer).assert_passed()``.

One module per topic, in the order of the chapters:

* ``feedback``: :class:`Feedback` and the comparison core;
* ``samplers``: σ of the named schemes, samplers and fans, and the one
  statistical core for samples (``judge_samples``);
* ``what_not_to_do`` (chapter 1), ``variance`` (chapter 2),
  ``schemes`` (chapters 3–5), ``keras_checks`` (chapter 6
  and the coursework), ``choosing`` (chapter 7), ``modern`` (chapter 8 and assignment a4).

Import the checks from here: ``from initlab import checks; checks.check_std(...)``.

>>> check_std(lambda shape: 1.0, "he")
✘ for (300, 200) you returned 1, the he std is 0.0816497 (12.2× the right value).
"""

from .choosing import CHOICE_ACTIVATIONS, check_choice, check_edge_of_chaos, check_lsuv
from .feedback import Feedback
from .keras_checks import (
                           DEFAULT_KEYS,
                           KERAS_PRESETS,
                           RECOMMENDED,
                           check_keras_defaults,
                           check_keras_model,
                           check_layer_stds,
                           check_pytorch_default,
                           check_seed_reuse,
                           check_vanish_depth,
                           check_variance_scaling,
)
from .modern import check_attention_logit_std, check_chrono_bias, check_diagnosis, check_prior_bias, check_residual_std
from .samplers import SCHEMES, SHAPES, check_fans, check_sampler, check_std
from .schemes import (
                           check_leaky_gain,
                           check_leaky_he_drift,
                           check_selu_fixed_point,
                           check_selu_scale,
                           check_uniform_variance_factor,
                           selu_scale_tolerance,
)
from .variance import check_linear_grad_ratio, check_linear_std_ratio, check_relu_moments
from .what_not_to_do import check_heuristic_width, check_signal_after, check_which_params_learn

__all__ = [
    "Feedback", "SCHEMES", "SHAPES",
    # chapter 1
    "check_signal_after", "check_heuristic_width", "check_which_params_learn",
    # chapter 2
    "check_relu_moments", "check_linear_std_ratio", "check_linear_grad_ratio",
    # chapters 3-5
    "check_std", "check_sampler", "check_fans", "check_uniform_variance_factor", "check_leaky_gain",
    "check_leaky_he_drift",
    "check_selu_fixed_point", "check_selu_scale", "selu_scale_tolerance",
    # chapter 6 and the coursework
    "RECOMMENDED", "check_vanish_depth", "check_layer_stds", "check_keras_model", "DEFAULT_KEYS",
    "check_keras_defaults", "check_seed_reuse", "KERAS_PRESETS", "check_variance_scaling",
    "check_pytorch_default",
    # chapter 7
    "CHOICE_ACTIVATIONS", "check_choice", "check_edge_of_chaos", "check_lsuv",
    # chapter 8 and assignment a4
    "check_attention_logit_std", "check_residual_std", "check_prior_bias", "check_chrono_bias",
    "check_diagnosis",
]
