"""The running device's state, shared by the frame loop and the console: the settings
in use and on disk (``config``), the one door between the console and the loop
(``state.Device``), and what is wrong right now (``health``)."""
