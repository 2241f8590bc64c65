"""The build of ruvllm-web's offline distribution and its dev server, one job a module; ``build.py``
at the repository root is the command line over it.

- ``pins.py``: the versions, sources and sha256 of every download;
- ``fetch.py``: the verified download cache (Pyodide's files, npm registry tarballs, sha256);
- ``wheel.py``: our wheel;
- ``client.py``: the JS client assembled from ``static/client/``, with the constants from Python;
- ``vendor.py``: Chart.js into ``dist/static/vendor/``;
- ``model.py``: the sentence encoder's files, NOTICE, manifest, starter vectors and static token table;
- ``dist.py``: ``dist/`` assembled from these and the site's files;
- ``serve.py``: the dev server, its headers and Content Security Policy;
- ``step.py``: what every step uses (``ROOT``, ``BuildError``, ``log``, ``run``).

Not part of the wheel (pyproject.toml lists the wheel's packages). Not named ``build/``: that is
setuptools' scratch folder, which ``wheel.py`` deletes after each wheel.
"""
