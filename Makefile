GO ?= go

.PHONY: build test bench fuzz demo clean

build:
	$(GO) build -o bin/aclsh ./cmd/aclsh

test:
	$(GO) test -count=1 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
