package accel

//go:generate sh -c "cd _gen && GOFLAGS=-mod=mod go run ./dequant -out ../dequant_kernels_amd64.s -stubs ../dequant_kernels_amd64.go -pkg accel"
