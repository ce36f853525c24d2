"""The coach's and developer's commands beside the live device: ``analyze`` a clip,
``bench`` the pipeline against the bare model, ``evaluation`` of the judgement
against labelled footage."""
