"""The commands beside the live device, each with its own code: ``analyze`` a clip,
``demo`` the loop on the shipped clip, ``calibrate`` from a terminal, ``report`` a
session, ``bench`` the pipeline against the bare model, ``eval`` the judgement against
labelled footage (``evaluation``) and the ``model`` files (``models``).  ``cli``
parses the command line and imports only the one that runs."""
