GO ?= go

.PHONY: build test bench fuzz demo clean

build:
	$(GO) build -o bin/aclsh ./cmd/aclsh
	$(GO) build -o bin/aclsh-labd ./cmd/aclsh-labd

# A throwaway lab in network namespaces with the shell on the device (needs root).
demo: build
	bash scripts/demo.sh

test:
	$(GO) test -count=1 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
