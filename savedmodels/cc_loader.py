"""Runs exports through TensorFlow's C++ loader, the one TF Serving is built on.

`cc/run_signatures.cc` is compiled against the TensorFlow pip wheel's
`libtensorflow_cc` and headers (flags from `tf.sysconfig`), loads an export with
`tensorflow::LoadSavedModel` (tag "serve") and runs signatures by their
SignatureDef tensor names. Requests and results travel as serialized
TensorProtos.

    binary = compile_loader("/tmp/run_signatures")
    results, signatures = run_requests(binary, export_dir, {
        "enc": ("encode", {"x": images}),
        "ll": ("log_likelihood", {"x": images, "num_samples": np.int32(100)})})
    results["enc"]["z"]          # numpy array, or
    results["ll"]                # CppError("INVALID_ARGUMENT", "...") on failure
"""

import dataclasses
import os
import shutil
import subprocess
import tempfile

import tensorflow as tf

__all__ = ["CppError", "SOURCE", "compile_loader", "compiler", "run_requests"]

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cc", "run_signatures.cc")


@dataclasses.dataclass(frozen=True)
class CppError:
    """A failed run: the absl status code name (e.g. INVALID_ARGUMENT) and message."""

    code: str
    message: str


def compiler():
    """The C++ compiler to use (`$CXX`, else g++ or c++ on PATH), or None."""
    return os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++")


def compile_loader(output_path, cxx=None):
    """Compiles `cc/run_signatures.cc` against the installed TensorFlow; returns the binary.

    Raises:
        RuntimeError: with the compiler's output, when compiling or linking fails.
    """
    cxx = cxx or compiler()
    if cxx is None:
        raise RuntimeError("No C++ compiler: set $CXX or install g++.")
    library_dir = os.path.dirname(tf.__file__)
    # --no-as-needed: the program calls nothing that only libtensorflow_cc
    # defines (LoadSavedModel is exported by libtensorflow_framework too), so the
    # linker would drop it, and with it the static registration of the direct
    # session ("No session factory registered ... Registered factories are {}").
    command = [cxx, "-O1", "-w", SOURCE, "-o", output_path,
               *tf.sysconfig.get_compile_flags(), f"-L{library_dir}", "-Wl,--no-as-needed",
               "-l:libtensorflow_cc.so.2", "-l:libtensorflow_framework.so.2",
               f"-Wl,-rpath,{library_dir}"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-5000:]}")
    return output_path


def run_requests(binary, export_dir, requests, timeout=600):
    """Runs `{request name: (signature, {input key: array})}` in one C++ process.

    Returns:
        (results, signatures): `{request name: {output key: numpy array}}`, with a
        `CppError` for each failed request; and `{signature name: (sorted input
        keys, sorted output keys)}` as the C++ loader read them.
    """
    with tempfile.TemporaryDirectory() as scratch:
        request_dir = os.path.join(scratch, "requests")
        output_dir = os.path.join(scratch, "outputs")
        for name, (signature, inputs) in requests.items():
            folder = os.path.join(request_dir, name)
            os.makedirs(folder)
            with open(os.path.join(folder, "signature"), "w") as f:
                f.write(signature)
            for key, value in inputs.items():
                with open(os.path.join(folder, key + ".pb"), "wb") as f:
                    f.write(tf.make_tensor_proto(value).SerializeToString())
        os.makedirs(request_dir, exist_ok=True)
        result = subprocess.run([binary, export_dir, request_dir, output_dir],
                                capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{binary} failed ({result.returncode}):\n{result.stderr[-5000:]}")
        results = {}
        for name in requests:
            folder = os.path.join(output_dir, name)
            status = os.path.join(folder, "status.txt")
            if os.path.exists(status):
                with open(status) as f:
                    code, _, message = f.read().partition(": ")
                results[name] = CppError(code, message)
                continue
            results[name] = {}
            for file_name in os.listdir(folder):
                proto = tf.make_tensor_proto(0)
                with open(os.path.join(folder, file_name), "rb") as f:
                    proto.ParseFromString(f.read())
                results[name][file_name[:-len(".pb")]] = tf.make_ndarray(proto)
        return results, _read_listing(os.path.join(output_dir, "signatures.txt"))


def _read_listing(path):
    listing = {}
    with open(path) as f:
        for line in f:
            name, inputs, outputs = line.split()
            listing[name] = (sorted(inputs[len("inputs="):].split(",")),
                             sorted(outputs[len("outputs="):].split(",")))
    return listing

