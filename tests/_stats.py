"""Statistical tolerances shared by the tests of samplers and simulations.

Every statistical tolerance is Z standard errors of the estimate it bounds. For an (asymptotically)
normal estimate, P(|error| > 5 SE) = 2·(1 − Φ(5)) = 5.7e-7, so a correct initializer fails any one
check less than once in 10⁶ seeds. With n ≥ 5000 samples the CLT is accurate that far out (the
Edgeworth correction for the skewed sample variance is below 30 % of that tail at these n).
"""

import math

Z = 5.0            # two-sided normal tail beyond 5 SE: 5.7e-7 < 1e-6
KS_P_MIN = 1e-6    # a KS p-value below this is a failure; under H0, P(p < 1e-6) = 1e-6

# Kurtosis κ = μ4 / σ⁴ of each distribution, exact, for the standard error of a sample variance:
# Var(mean((x − μ)²)) = (μ4 − σ⁴)/n = (κ − 1)·σ⁴/n.
#   uniform on ±L: σ² = L²/3, μ4 = L⁴/5, κ = 9/5;  normal: κ = 3;
#   standard normal truncated to [−c, c], Zc = 2Φ(c) − 1 (moments by parts):
#   m2 = 1 − 2cφ(c)/Zc,  m4 = 3·m2 − 2c³φ(c)/Zc.
_C = 2.0
_PHI = math.exp(-_C * _C / 2) / math.sqrt(2 * math.pi)
_ZC = math.erf(_C / math.sqrt(2))
TRUNC_M2 = 1 - 2 * _C * _PHI / _ZC
TRUNC_M4 = 3 * TRUNC_M2 - 2 * _C**3 * _PHI / _ZC
KURTOSIS = {"uniform": 9 / 5, "untruncated_normal": 3.0, "truncated_normal": TRUNC_M4 / TRUNC_M2**2}


def z_bound(se: float) -> float:
    """The tolerance for an estimate with standard error ``se``: Z·se (false failure < 1e-6)."""
    return Z * se
