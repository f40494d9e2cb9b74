module goxbench

go 1.19
