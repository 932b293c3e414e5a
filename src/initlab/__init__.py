"""Init Lab: the helper package behind the course on neural-network weight initialization.

One module per idea. What a learner's kernel loads:

* :mod:`initlab.initializers`: fans, gains, the variance-scaling core and its named presets;
* :mod:`initlab.propagation`: a deep network's forward and backward statistics, simulated and
  predicted;
* :mod:`initlab.widgets`: the live break-it / fix-it explorer (the page has its JavaScript twin,
  in ``initlab/static``);
* :mod:`initlab.tinynet`: a tiny numpy classifier for the symmetry experiments;
* :mod:`initlab.data` and :mod:`initlab.training`: the offline digits data and small Keras runs;
  :mod:`initlab.quiet_keras` loads Keras silently on any CPU;
* :mod:`initlab.training_widget`: the live training explorer of chapter 6;
* :mod:`initlab.beyond`: GELU/Swish moments, orthogonal products, LSUV, the edge of chaos and
  residual streams (chapter 7); :mod:`initlab.modern`: chapter 8's demonstrations;
* :mod:`initlab.diagnose`: the per-layer check of a reader's own Keras model at initialization;
* :mod:`initlab.checks`: exercise feedback, shared by the chapters and the autograder, one module
  per topic; :mod:`initlab.coursework`: Keras objects as plain data, for the checks;
* :mod:`initlab.plots`: the figures' shared style; :mod:`initlab.validate`: argument checking,
  one policy for every module.

What a learner's kernel never loads: :mod:`initlab.course`, the instructor's toolkit
(assignments, grading, the sandbox).

``import initlab`` is light: it imports neither TensorFlow nor matplotlib.
"""

__version__ = "0.1.0"
