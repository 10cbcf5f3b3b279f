"""Training Haven's learned models from data the project may use (`haven models train`).

Not imported by the service: judging needs only `haven.policy.classifier` and the model
files; training needs the `train` extra (scikit-learn, numpy, scipy)."""
