"""The ground-truth benchmark's parts: the model zoo and its cache, the scoring shared by every method, and
the attribution baseline (DeepLIFT/SHAP + TF-MoDISco). Not part of the neuronmotif package."""
