"""Init Lab: the helper package behind the course on neural-network weight initialization.

Modules, one idea each:

* :mod:`initlab.initializers`: fans, gains, the variance-scaling core and its named presets.

``import initlab`` is light: it imports neither TensorFlow nor matplotlib.
"""

__version__ = "0.1.0"
