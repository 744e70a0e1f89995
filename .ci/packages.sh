#!/usr/bin/env bash
# The packages as a user gets them: packs LabelSphere and LabelSphere.Images into a local folder, then builds and
# runs samples/QuickStart and .ci/ImagesCheck against those packages (not the projects), so that a package missing
# a file, a dependency, a native asset or a type the sample uses fails CI. Called by .ci/run.
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
packed=$SECONDS
for package in LabelSphere LabelSphere.Images; do
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
for project in QuickStart ImagesCheck; do
  dotnet build "$work/samples/$project" -c Release -p:LabelSphereVersion="$version" -p:CreateHardLinksForCopyLocalIfPossible=true --nologo -v quiet -clp:ErrorsOnly
  dotnet run --project "$work/samples/$project" -c Release --no-build -p:LabelSphereVersion="$version"
done
echo "packages: LabelSphere and LabelSphere.Images $version packed; the QuickStart sample and the images check built and ran against them ($((SECONDS - start)) s: packing $((packed - start)) s, the two consumers $((SECONDS - restored)) s)"
