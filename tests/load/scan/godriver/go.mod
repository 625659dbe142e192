module eco2/scanload

go 1.26.0
