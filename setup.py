"""The package layout, which pyproject.toml's tables cannot say: the import package `haven`
lives in service/haven (the folder the design names), and the default policy pack in
policies/ ships inside it as `haven.pack`, so a pip-installed Haven runs with no checkout;
so do the console's static files (haven/console/static).
Each platform adapter is a distribution of its own under plugins/.

The scan's hot loops (haven.policy._scan_core) are a Cython extension, built when the
package is; it is optional: where it cannot be built (no C compiler), Haven installs and
judges alike with the Python twins of those loops, only slower."""

import sys

from setuptools import Extension, find_namespace_packages, setup

PACK_FOLDERS = [f"haven.pack.{name}" for name in find_namespace_packages("policies")]

setup(
    packages=[*find_namespace_packages("service", include=["haven*"]), "haven.pack", *PACK_FOLDERS],
    package_dir={"": "service", "haven.pack": "policies"},
    package_data={
        "haven": ["py.typed"],
        "haven.policy": ["_scan_core.pyi"],
        # The console's pages, served by `haven serve` at /console.
        "haven.console": ["static/*"],
        "haven.store.migrations": ["*.mako"],
        "haven.pack": ["*.yaml"],
        **{folder: ["*"] for folder in PACK_FOLDERS},
    },
    ext_modules=[
        Extension(
            "haven.policy._scan_core",
            ["service/haven/policy/_scan_core.pyx"],
            # No fused multiply-adds: the models' sums must round as the Python twin's do
            # (GCC contracts by default where the CPU has them, as on every ARM64 one).
            extra_compile_args=[] if sys.platform == "win32" else ["-ffp-contract=off"],
            optional=True,
        )
    ],
)
