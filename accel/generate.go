package accel

//go:generate sh -c "cd _gen && GOFLAGS=-mod=mod go run . -out ../kernels_amd64.s -stubs ../kernels_amd64.go -pkg accel"
