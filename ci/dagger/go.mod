module dagger/multistage

go 1.26.1

require github.com/multistage/multistage v0.0.0

replace github.com/multistage/multistage => ../../
