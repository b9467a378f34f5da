// Runs arxl's wheel in a real Pyodide: the runtime of the npm package "pyodide", under Node.js.
//
//     node lite/pyodide_check.mjs PYODIDE_PACKAGE_DIR ARXL_WHEEL [PURE_PYTHON_PACKAGE_DIR ...]
//
// Each PURE_PYTHON_PACKAGE_DIR (a pure-Python package folder such as a virtualenv's site-packages/packaging) is
// copied into Pyodide's site-packages first. Prints one JSON object: Pyodide's Python and platform, what
// "import arxl" and its contract give there, and which of arxl's requirements Pyodide's own environment markers
// keep (evaluated with packaging, when it was copied in). numpy, pandas and pyarrow are Pyodide builds served
// from its CDN, not shipped in the npm package: without them the core's computations cannot run, and the
// output says whether numpy could be imported. tests/test_lite.py runs this when ARXL_PYODIDE names the
// unpacked npm package.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [pyodideDir, wheel, ...pure] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(join(resolve(pyodideDir), "pyodide.mjs")).href);
const pyodide = await loadPyodide({ indexURL: resolve(pyodideDir) + "/" });
const site = pyodide.runPython("import site; site.getsitepackages()[0]");

function copyTree(source, target) {
  pyodide.FS.mkdirTree(target);
  for (const name of readdirSync(source)) {
    const path = join(source, name);
    if (name === "__pycache__") continue;
    if (statSync(path).isDirectory()) copyTree(path, `${target}/${name}`);
    else pyodide.FS.writeFile(`${target}/${name}`, readFileSync(path));
  }
}

for (const folder of pure) copyTree(resolve(folder), `${site}/${basename(folder)}`);
pyodide.FS.writeFile("/tmp/arxl.whl", readFileSync(wheel));
console.log(pyodide.runPython(`
import json
import sys
import zipfile

zipfile.ZipFile("/tmp/arxl.whl").extractall("${site}")
from importlib.metadata import requires

import arxl
from arxl.contract import TABLES

result = {"python": sys.version.split()[0], "platform": sys.platform, "tables": [table.name for table in TABLES],
          "public_names": len(arxl.__all__), "heavy_modules_loaded": sorted(
              name for name in ("pandas", "numpy", "pyarrow", "fastexcel", "python_calamine", "openpyxl")
              if name in sys.modules)}
try:
    from packaging.markers import default_environment
    from packaging.requirements import Requirement

    environment = dict(default_environment(), extra="")
    result["kept"] = sorted(requirement.name for requirement in map(Requirement, requires("arxl"))
                            if requirement.marker is None or requirement.marker.evaluate(environment))
except ImportError:
    result["kept"] = None
try:
    import numpy
    result["numpy"] = numpy.__version__
except ImportError as exc:
    result["numpy"] = f"not available: {exc}"
json.dumps(result)
`));
