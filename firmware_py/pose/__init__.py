"""The pose adapter: model files, the TFLite runtime and the MoveNet engine."""
