module github.com/portolan-sdk/portolan/accel/_gen

go 1.26

replace github.com/portolan-sdk/portolan => ../..

require github.com/mmcloughlin/avo v0.5.0

require (
	github.com/portolan-sdk/portolan v0.0.0-00010101000000-000000000000 // indirect
	golang.org/x/mod v0.6.0 // indirect
	golang.org/x/sys v0.1.0 // indirect
	golang.org/x/tools v0.2.0 // indirect
)
