# Custom builds for `sam build` (template.yaml, resources with Metadata: BuildMethod: makefile).
# SAM runs `make build-<LogicalId>` in a copy of the ContentUri folder (here the repo root) and sets
# ARTIFACTS_DIR to the folder that becomes the layer zip; a Python layer keeps its code under python/.

.PHONY: build-HeavisideLayer
build-HeavisideLayer:
	bash scripts/build-layer "$(ARTIFACTS_DIR)/python"
