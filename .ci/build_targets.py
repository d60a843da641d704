"""Writes (or checks) the top-level BUILD from the code's own imports.

    python .ci/build_targets.py          # rewrite BUILD
    python .ci/build_targets.py --check  # exit 1 if BUILD is stale

One py_library per module (deps: the project modules it imports, and the
packages they live in), one py_test per tests/**/test_*.py. What imports cannot
tell (sizes, tags, data files, programs a test runs as subprocesses) is in
TEST_SETTINGS below.

A medium or large test that needs nothing but the modules it imports (no data
files, in its target or in a library it depends on, no path built from
`__file__`, no subprocess) is tagged `imports_only`: its target is complete by
construction, since its deps are read from the code, so Bazel's sandbox can
fail it only where the README's pytest run (CI's first step) fails it too, and
CI does not run it twice. The small ones still run under Bazel, as the check of
that reading.
"""

import ast
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("zoo", "trainers", "savedmodels", "benchmarks", "tests")
DOCS = sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "**", "*"),
                                                          recursive=True) if os.path.isfile(p))

# size: Bazel's timeout class (small 60 s, medium 300 s, large 900 s).
TEST_SETTINGS = {
    "tests/test_readme.py": {
        "size": "medium", "data": ["README.md", ".ci/run"] + DOCS,
        # The programs it runs, and the packages' own __init__ files: they quiet the
        # programs' stderr, and Bazel's runfiles would hold empty ones.
        "extra_deps": ["savedmodels_showcase", "savedmodels_pretrained", "trainers_reproduce",
                       "trainers_train", "trainers_evaluate", "trainers_export", "savedmodels",
                       "trainers"],
    },
    "tests/test_docs.py": {
        "size": "medium", "data": DOCS + ["README.md"],
        "extra_deps": ["trainers_train", "trainers_train_ncp", "trainers_sample_ncp",
                       "savedmodels_pretrained"],
    },
    "tests/trainers/test_train_program.py": {
        "size": "large", "tags": ["slow"],
        "extra_deps": ["trainers_compare", "trainers_evaluate", "trainers_train"],  # subprocesses
    },
    "tests/trainers/test_own_data.py": {
        "size": "large", "tags": ["slow"],
        "extra_deps": ["trainers_train", "trainers_export", "savedmodels_evaluate_export"],
    },
    "tests/zoo/models/test_image_shapes.py": {"size": "medium"},
    "tests/zoo/models/test_vae.py": {"size": "medium"},
    "tests/zoo/models/test_whole_executions.py": {"size": "medium"},
    # 30-50 s alone: the small class's 60 s is too close (they timed out beside a training).
    "tests/zoo/models/test_hierarchical_vae.py": {"size": "medium"},
    "tests/zoo/models/test_resnet_vae.py": {"size": "medium"},
    "tests/trainers/test_nonfinite.py": {"size": "medium"},
    "tests/zoo/priors/test_prior_densities.py": {"size": "medium"},
    "tests/zoo/models/test_vae_priors.py": {"size": "medium"},
    # 40-55 s in Bazel beside a training (2026-12-06).
    "tests/savedmodels/test_reexport.py": {"size": "medium"},
    "tests/zoo/posteriors/test_flow_posterior.py": {"size": "medium"},
    "tests/zoo/likelihoods/test_pixelcnn.py": {"size": "medium"},
    "tests/trainers/test_distributed.py": {  # deps of its subprocesses
        "size": "large", "extra_deps": ["tests_tiny_models", "trainers_train"],
    },
    "tests/trainers/test_multi_worker.py": {
        "size": "large", "tags": ["slow"], "extra_deps": ["trainers_train"],
    },
    "tests/trainers/test_resume.py": {
        "size": "large", "tags": ["slow"], "extra_deps": ["trainers_train"],
    },
    "tests/savedmodels/test_export.py": {"size": "medium"},
    "tests/trainers/test_train_ncp_program.py": {
        "size": "large", "tags": ["slow"],
        "extra_deps": ["trainers_train", "trainers_train_ncp", "trainers_sample_ncp",
                       "trainers_export"],
    },
    "tests/zoo/models/test_noise_contrastive_vae.py": {"size": "medium"},
    # One training step per distinct experiment setup: sharded (tests/conftest.py) so that Bazel
    # runs its parts side by side.
    "tests/trainers/test_every_experiment.py": {"size": "large", "tags": ["slow"],
                                                "shard_count": 4},
    "tests/zoo/models/test_gated_conv_hvae.py": {"size": "medium"},
    "tests/zoo/priors/test_noise_contrastive.py": {"size": "medium"},
    "tests/savedmodels/test_cc_loader.py": {"size": "large"},   # compiles; 300 fuzzed requests
    "tests/savedmodels/test_validation.py": {"size": "medium"},   # 600 fuzzed requests
    "tests/savedmodels/test_request_memory.py": {"size": "medium"},
    "tests/trainers/test_recovery.py": {
        "size": "large", "tags": ["slow"], "extra_deps": ["trainers_train"],   # subprocesses
    },
    # It reads the programs' sources.
    "tests/zoo/test_errors.py": {"data": [
        f"{package}/{name}.py" for package, names in (
            ("trainers", ("train", "train_ncp", "evaluate", "export", "reproduce", "analyze",
                          "rd_sweep", "compare", "sample_ncp")),
            ("savedmodels", ("evaluate_export", "showcase", "backfill_keras", "reexport")))
        for name in names]},
    "tests/trainers/test_reproduce.py": {  # the queue and the programs it runs
        "size": "large", "tags": ["slow"],
        "extra_deps": ["trainers_reproduce", "trainers_train", "trainers_train_ncp",
                       "trainers_export"],
    },
    "tests/test_package.py": {  # installs a copy of the packages with the shipped registry
        "size": "medium", "data": ["pyproject.toml", "README.md", "requirements.txt"],
        "extra_deps": ["savedmodels", "savedmodels_pretrained", "trainers"],
    },
    "tests/zoo/test_presets.py": {"size": "medium"},
    # 24 tiny models built twice (28 s alone) and two shipped presets loaded under a mixed policy.
    "tests/zoo/test_float32.py": {"size": "medium", "extra_deps": ["savedmodels_pretrained"]},
    # Loads every shipped export (13 today, 60 s under Bazel's sandbox): it grows with each row.
    "tests/savedmodels/test_pretrained.py": {"size": "medium"},
    "tests/zoo/test_quiet.py": {  # the program it runs; the packages' real __init__ files
        "size": "medium", "extra_deps": ["savedmodels_evaluate_export", "savedmodels", "trainers"]},
    "tests/zoo/test_programs.py": {  # the program it runs; the packages it imports in a child
        "size": "medium", "extra_deps": ["savedmodels_evaluate_export", "savedmodels", "trainers",
                                         "benchmarks"]},
    "tests/savedmodels/test_results.py": {"size": "medium",
                                          "data": ["README.md", "docs/results.md"]},
    "tests/test_build.py": {"data": ["BUILD"]},
    "tests/trainers/test_analysis_page.py": {
        "data": DOCS,
    },
    "tests/trainers/test_rd_sweep.py": {  # the programs it runs
        "size": "large", "tags": ["slow"], "extra_deps": ["trainers_rd_sweep", "trainers_train"],
    },
    "tests/trainers/test_workdir_lock.py": {  # the programs it runs
        "size": "large", "extra_deps": ["trainers_train", "trainers_export"],
    },
    "tests/trainers/test_analyze.py": {  # the programs it runs
        "size": "large", "tags": ["slow"], "extra_deps": ["trainers_train", "trainers_analyze"],
    },
    "tests/trainers/test_export_program.py": {
        "size": "large", "tags": ["slow"],
        "extra_deps": ["trainers_train", "trainers_export", "savedmodels_evaluate_export"],
    },
}

# Files a library reads at run time; "data_glob" patterns become glob([...]).
LIBRARY_SETTINGS = {
    "savedmodels/cc_loader.py": {"data": ["savedmodels/cc/run_signatures.cc"]},
    "savedmodels/pretrained.py": {"data_glob": ["savedmodels/pretrained/**"]},
}

HEADER = """\
# Bazel targets of the Learned-Prior VAE Zoo: one py_library per module, one
# py_test per test file. Third-party packages (TensorFlow, TFP, Keras, NumPy,
# SciPy, absl, pytest) come from the active virtualenv (requirements.txt), not
# from Bazel repositories. Test targets run their file; tests tagged "slow" run
# whole training programs; "imports_only" tags the medium and large tests that
# need nothing but their imports (CI runs them with pytest only).
#
# Generated by .ci/build_targets.py from the imports; edit that script's
# TEST_SETTINGS, not this file.

package(default_visibility = ["//visibility:public"])
"""


def target_name(path):
    """zoo/priors/vamp.py -> zoo_priors_vamp; zoo/priors/__init__.py -> zoo_priors."""
    parts = path[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return "_".join(parts)


def python_files():
    for package in PACKAGES:
        for directory, _, files in os.walk(os.path.join(ROOT, package)):
            for name in files:
                if name.endswith(".py"):
                    yield os.path.relpath(os.path.join(directory, name), ROOT)


def module_paths(files):
    """Dotted module name -> file path, for every project module and package."""
    paths = {}
    for path in files:
        module = path[:-3].replace("/", ".")
        if module.endswith(".__init__"):
            module = module[: -len(".__init__")]
        paths[module] = path
    return paths


def imported_modules(path, modules):
    """The project modules a file imports, each resolved to the module it names.

    `from a.b import c` names a.b.c if that is a module, else a.b (c is an
    attribute of a.b). Parent packages are not added: Bazel's runfiles provide
    an `__init__.py` for them, and adding them would turn every package that
    imports its own modules into a dependency cycle.
    """
    tree = ast.parse(open(os.path.join(ROOT, path)).read(), path)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                names.add(child if child in modules else node.module)
    return {name for name in names if name in modules}


def deps_of(path, modules):
    return sorted(target_name(modules[name]) for name in imported_modules(path, modules)
                  if modules[name] != path)


def render(kind, name, fields):
    lines = [f"{kind}(", f'    name = "{name}",']
    for key, value in fields:
        if key == "data_glob":
            lines.append(f"    data = glob({value!r}),".replace("'", '"'))
        elif isinstance(value, int):
            lines.append(f"    {key} = {value},")
        elif isinstance(value, list):
            lines.append(f"    {key} = [")
            lines += [f'        "{v}",' for v in value]
            lines.append("    ],")
        else:
            lines.append(f'    {key} = "{value}",')
    lines.append(")")
    return "\n".join(lines)


def reads_files(path, deps, settings):
    """Whether the test at `path` needs more than its imports: data files (its own, a
    library's among its transitive `deps` (target names), or paths it builds from
    `__file__`) or programs it runs."""
    data_libraries = {target_name(p) for p, s in LIBRARY_SETTINGS.items()
                      if "data" in s or "data_glob" in s}
    source = open(os.path.join(ROOT, path)).read()
    # A path built from __file__ (other than the Bazel entry point's) names a repository file.
    source = source.replace("pytest.main([__file__", "")
    return bool("data" in settings or "extra_deps" in settings or deps & data_libraries
                or any(word in source for word in ("subprocess", "sys.executable", "__file__")))


def transitive(deps, graph):
    """`deps` (target names) and everything they depend on, by `graph` (name -> deps)."""
    seen, stack = set(), list(deps)
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(graph.get(name, ()))
    return seen


def build_file():
    files = sorted(python_files())
    modules = module_paths(files)
    graph = {target_name(path): deps_of(path, modules) for path in files}
    blocks = [HEADER]
    for path in files:
        name = target_name(path)
        deps = [f":{d}" for d in deps_of(path, modules)]
        is_test = os.path.basename(path).startswith("test_")
        if not is_test:
            settings = LIBRARY_SETTINGS.get(path, {})
            data = [(key, settings[key]) for key in ("data", "data_glob") if key in settings]
            blocks.append(render("py_library", name, [("srcs", [path]), *data, ("deps", deps)]))
            continue
        if "pytest.main(" not in open(os.path.join(ROOT, path)).read():
            # Bazel runs the file as a script: without this it would pass vacuously.
            raise SystemExit(f"{path} lacks the `if __name__ == \"__main__\": "
                             "sys.exit(pytest.main([__file__, ...]))` entry point.")
        settings = TEST_SETTINGS.get(path, {})
        deps = sorted(set(deps) | {":tests_conftest"}
                      | {f":{d}" for d in settings.get("extra_deps", [])})
        size = settings.get("size", "small")
        tags = list(settings.get("tags", []))
        if (size != "small" and "slow" not in tags
                and not reads_files(path, transitive(graph[name], graph), settings)):
            tags.append("imports_only")
        fields = [("srcs", [path]), ("main", path), ("size", size)]
        if "data" in settings:
            fields.append(("data", settings["data"]))
        if tags:
            fields.append(("tags", tags))
        if "shard_count" in settings:
            fields.append(("shard_count", settings["shard_count"]))
        fields.append(("deps", deps))
        blocks.append(render("py_test", name, fields))
    unknown = sorted((set(TEST_SETTINGS) | set(LIBRARY_SETTINGS)) - set(files))
    if unknown:
        raise SystemExit(f"TEST_SETTINGS or LIBRARY_SETTINGS name missing files: {unknown}")
    return "\n\n".join(blocks) + "\n"


def main(argv):
    content = build_file()
    path = os.path.join(ROOT, "BUILD")
    if "--check" in argv:
        current = open(path).read() if os.path.exists(path) else ""
        if current != content:
            names = lambda text: set(re.findall(r'^    name = "(\w+)",$', text, flags=re.M))
            missing, extra = names(content) - names(current), names(current) - names(content)
            print("BUILD is stale: run `python .ci/build_targets.py` and commit it."
                  + (f"\n  targets missing from BUILD: {sorted(missing)}" if missing else "")
                  + (f"\n  targets without their file: {sorted(extra)}" if extra else "")
                  + ("" if missing or extra else "\n  (a target's srcs or deps changed)"))
            return 1
        print("BUILD is up to date.")
        return 0
    with open(path, "w") as f:
        f.write(content)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
