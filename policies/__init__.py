"""The default policy pack. The build installs this folder inside Haven as `haven.pack`
(see setup.py), so a pip-installed `haven serve` judges with it and needs no checkout."""
