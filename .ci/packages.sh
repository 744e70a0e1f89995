#!/usr/bin/env bash
# The packages as a user gets them: packs LabelSphere, LabelSphere.Images and LabelSphere.Onnx into a local folder,
# then builds and runs samples/QuickStart, samples/OnnxMlNet and .ci/ImagesCheck against those packages (not the
# projects), so that a package missing a file, a dependency, a native asset or a type the sample uses fails CI; and
# builds samples/ServeClient (an HTTP client of `labelsphere serve`, which needs a running service). Called by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A version no cache can hold yet, so restore takes the packages just packed.
suffix="ci.$(date -u +%Y%m%d%H%M%S).$$"
version="$(dotnet msbuild src/LabelSphere -getProperty:Version -p:VersionSuffix="$suffix")"
# Packing LabelSphere.Images builds LabelSphere too, which is then packed without building again.
pack=(-c Release -o "$work/feed" --version-suffix "$suffix" -p:ContinuousIntegrationBuild=true --nologo -v quiet)
dotnet pack src/LabelSphere.Images "${pack[@]}"
dotnet pack src/LabelSphere --no-build "${pack[@]}"
dotnet pack src/LabelSphere.Onnx "${pack[@]}"
packed=$SECONDS
for package in LabelSphere LabelSphere.Images LabelSphere.Onnx; do
  for kind in nupkg snupkg; do
    [ -f "$work/feed/$package.$version.$kind" ] || { echo "packages: $package.$version.$kind was not made" >&2; exit 1; }
  done
done

# The sample in a folder of its own, with a nuget.config that adds the local feed and keeps what restore extracts
# out of the user's cache (TorchSharp and the rest are read from that cache as a fallback, not copied).
cp -r samples "$work/samples"
cp -r .ci/ImagesCheck "$work/samples/ImagesCheck"
cp version.props "$work/"
cat > "$work/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <config><add key="globalPackagesFolder" value="$work/packages" /></config>
  <packageSources><add key="labelsphere-ci" value="$work/feed" /></packageSources>
  <fallbackPackageFolders><add key="user-cache" value="${NUGET_PACKAGES:-$HOME/.nuget/packages}" /></fallbackPackageFolders>
</configuration>
CONFIG
restored=$SECONDS
for project in QuickStart OnnxMlNet ImagesCheck; do
  dotnet build "$work/samples/$project" -c Release -p:LabelSphereVersion="$version" -p:CreateHardLinksForCopyLocalIfPossible=true --nologo -v quiet -clp:ErrorsOnly
  dotnet run --project "$work/samples/$project" -c Release --no-build -p:LabelSphereVersion="$version"
done
dotnet build "$work/samples/ServeClient" -c Release --nologo -v quiet -clp:ErrorsOnly
echo "packages: LabelSphere, LabelSphere.Images and LabelSphere.Onnx $version packed; the QuickStart and OnnxMlNet samples and the images check built and ran against them, the ServeClient sample built ($((SECONDS - start)) s: packing $((packed - start)) s, the consumers $((SECONDS - restored)) s)"
