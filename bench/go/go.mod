module goxbench

go 1.19

// errgroup comes from Debian (golang-golang-x-sync-dev, 0.1.0): no module download here.
require golang.org/x/sync v0.1.0

replace golang.org/x/sync => /usr/share/gocode/src/golang.org/x/sync
