"""Planted-grammar data and small models: the simulator (:mod:`.simulate`), the small CNNs and their
trainer (:mod:`.models`) and the demo (:mod:`.demo`). Real features, not stages of the pipeline."""
