"""SavedModel export and the pretrained-model registry.

Not built yet: exports with encode/decode/log_likelihood/sample signatures
arrive with the serving work (see README, "Status").
"""
