"""The package layout, which pyproject.toml's tables cannot say: the import package `haven`
lives in service/haven (the folder the design names), and the default policy pack in
policies/ ships inside it as `haven.pack`, so a pip-installed Haven runs with no checkout;
so do the console's static files (haven/console/static).
Each platform adapter is a distribution of its own under plugins/."""

from setuptools import find_namespace_packages, setup

PACK_FOLDERS = [f"haven.pack.{name}" for name in find_namespace_packages("policies")]

setup(
    packages=[*find_namespace_packages("service", include=["haven*"]), "haven.pack", *PACK_FOLDERS],
    package_dir={"": "service", "haven.pack": "policies"},
    package_data={
        "haven": ["py.typed"],
        # The console's pages, served by `haven serve` at /console.
        "haven.console": ["static/*"],
        "haven.store.migrations": ["*.mako"],
        "haven.pack": ["*.yaml"],
        **{folder: ["*"] for folder in PACK_FOLDERS},
    },
)
