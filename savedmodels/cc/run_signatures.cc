// Loads a SavedModel the way TF Serving does (tensorflow::LoadSavedModel, tag
// "serve") and runs its signatures by their SignatureDef tensor names.
//
//   run_signatures EXPORT_DIR REQUEST_DIR OUTPUT_DIR
//
// REQUEST_DIR holds one folder per request: a file `signature` with the
// signature's name, and one serialized TensorProto `<input key>.pb` per input.
// For each request, OUTPUT_DIR/<request>/ receives one `<output key>.pb` per
// output, or `status.txt` ("<code>: <message>") when the run fails.
// OUTPUT_DIR/signatures.txt lists every signature as
// "<name> inputs=<key>,... outputs=<key>,...". Exit status 1: the export did
// not load or the arguments are wrong.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "tensorflow/cc/saved_model/loader.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow/core/framework/tensor.pb.h"

namespace fs = std::filesystem;

namespace {

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void WriteFile(const fs::path& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
}

std::string Trim(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.pop_back();
  }
  return text;
}

void ListSignatures(const tensorflow::MetaGraphDef& graph, const fs::path& path) {
  std::ofstream out(path);
  for (const auto& [name, signature] : graph.signature_def()) {
    out << name << " inputs=";
    std::string separator;
    for (const auto& [key, info] : signature.inputs()) {
      out << separator << key;
      separator = ",";
    }
    out << " outputs=";
    separator.clear();
    for (const auto& [key, info] : signature.outputs()) {
      out << separator << key;
      separator = ",";
    }
    out << "\n";
  }
}

// Runs one request; returns the status of the run (or of reading the request).
absl::Status RunRequest(const tensorflow::SavedModelBundle& bundle, const fs::path& request,
                        const fs::path& output) {
  const std::string name = Trim(ReadFile(request / "signature"));
  const auto& signatures = bundle.meta_graph_def.signature_def();
  const auto found = signatures.find(name);
  if (found == signatures.end()) {
    return absl::NotFoundError("no signature named '" + name + "'");
  }
  const tensorflow::SignatureDef& signature = found->second;

  std::vector<std::pair<std::string, tensorflow::Tensor>> feeds;
  for (const auto& entry : fs::directory_iterator(request)) {
    if (entry.path().extension() != ".pb") continue;
    const std::string key = entry.path().stem().string();
    const auto input = signature.inputs().find(key);
    if (input == signature.inputs().end()) {
      return absl::InvalidArgumentError("signature '" + name + "' has no input '" + key + "'");
    }
    tensorflow::TensorProto proto;
    if (!proto.ParseFromString(ReadFile(entry.path()))) {
      return absl::InvalidArgumentError("cannot parse " + entry.path().string());
    }
    tensorflow::Tensor tensor;
    if (!tensor.FromProto(proto)) {
      return absl::InvalidArgumentError("invalid tensor in " + entry.path().string());
    }
    feeds.emplace_back(input->second.name(), tensor);
  }

  std::vector<std::string> keys, fetches;
  for (const auto& [key, info] : signature.outputs()) {
    keys.push_back(key);
    fetches.push_back(info.name());
  }
  std::vector<tensorflow::Tensor> outputs;
  absl::Status status = bundle.session->Run(feeds, fetches, {}, &outputs);
  if (!status.ok()) return status;
  for (size_t i = 0; i < keys.size(); ++i) {
    tensorflow::TensorProto proto;
    outputs[i].AsProtoTensorContent(&proto);
    WriteFile(output / (keys[i] + ".pb"), proto.SerializeAsString());
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: " << argv[0] << " EXPORT_DIR REQUEST_DIR OUTPUT_DIR\n";
    return 1;
  }
  const fs::path requests(argv[2]), output(argv[3]);
  tensorflow::SavedModelBundle bundle;
  const absl::Status loaded = tensorflow::LoadSavedModel(
      tensorflow::SessionOptions(), tensorflow::RunOptions(), argv[1], {"serve"}, &bundle);
  if (!loaded.ok()) {
    std::cerr << "LoadSavedModel failed: " << loaded << "\n";
    return 1;
  }
  fs::create_directories(output);
  ListSignatures(bundle.meta_graph_def, output / "signatures.txt");
  for (const auto& entry : fs::directory_iterator(requests)) {
    if (!entry.is_directory()) continue;
    const fs::path result = output / entry.path().filename();
    fs::create_directories(result);
    const absl::Status status = RunRequest(bundle, entry.path(), result);
    if (!status.ok()) {
      WriteFile(result / "status.txt",
                absl::StatusCodeToString(status.code()) + ": " + std::string(status.message()));
    }
  }
  return 0;
}
