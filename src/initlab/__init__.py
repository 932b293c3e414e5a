"""Init Lab: the helper package behind the course on neural-network weight initialization.

One module per idea:

* :mod:`initlab.initializers`: fans, gains, the variance-scaling core and its named presets;
* :mod:`initlab.propagation`: a deep network's forward and backward statistics, simulated and
  predicted;
* :mod:`initlab.widgets`: the break-it / fix-it explorer and its kernel-free twin;
* :mod:`initlab.tinynet`: a tiny numpy classifier for the symmetry experiments;
* :mod:`initlab.data` and :mod:`initlab.training`: the offline digits data and small Keras runs;
* :mod:`initlab.training_widget`: the live training explorer of chapter 6 and its twin;
* :mod:`initlab.beyond`: GELU/Swish moments, orthogonal products, LSUV and the edge of chaos;
* :mod:`initlab.checks`: exercise feedback, shared by the chapters and the autograder;
* :mod:`initlab.coursework`: Keras objects as plain data, for the checks;
* :mod:`initlab.course`: the instructor's toolkit (assignments, grading, sandbox), which no
  learner-facing module imports.

``import initlab`` is light: it imports neither TensorFlow nor matplotlib.
"""

__version__ = "0.1.0"
