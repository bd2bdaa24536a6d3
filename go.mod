module github.com/traceaudit/traceaudit

go 1.26
