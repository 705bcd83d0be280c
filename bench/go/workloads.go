// SPDX-License-Identifier: MIT
// The workloads written in Go, the baseline of bench/workloads_slp.cpp: the
// same programs with goroutines and unbuffered channels, run by
// bench/workloads.py with GOMAXPROCS=1 and the same command line and output
// line as the C++ programs (bench/workloads.hpp):
//
//	$ workloads_go thread-ring 1000
//	answer=498 result_ns=81234 result_cpu_ns=80112
//
// Goroutines still blocked when main returns end with the process.
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

const (
	ringSize    = 503
	treeFanout  = 10
	poolWorkers = 100
)

// threadRing: 503 goroutines in a ring of channels; the one that receives
// the token at 0 sends its id to main.
func threadRing(passes uint64) uint64 {
	ring := make([]chan uint64, ringSize)
	for i := range ring {
		ring[i] = make(chan uint64)
	}
	done := make(chan uint64)
	for i := 0; i < ringSize; i++ {
		go func(in, out chan uint64, id uint64) {
			for {
				token := <-in
				if token == 0 {
					done <- id
					return
				}
				out <- token - 1
			}
		}(ring[i], ring[(i+1)%ringSize], uint64(i+1))
	}
	ring[0] <- passes
	return <-done
}

// primeSieve: a generator and one filter goroutine per prime.
func primeSieve(count uint64) uint64 {
	numbers := make(chan uint64)
	go func() {
		for n := uint64(2); ; n++ {
			numbers <- n
		}
	}()
	in := numbers
	var prime uint64
	for i := uint64(0); i < count; i++ {
		prime = <-in
		if i+1 == count {
			break
		}
		out := make(chan uint64)
		go func(in, out chan uint64, prime uint64) {
			for {
				if n := <-in; n%prime != 0 {
					out <- n
				}
			}
		}(in, out, prime)
		in = out
	}
	return prime
}

// treeNode: a leaf sends its first value; an inner node starts one child
// per tenth of its leaves and sends the sum of what they send.
func treeNode(first, leaves uint64, parent chan<- uint64) {
	if leaves == 1 {
		parent <- first
		return
	}
	children := make(chan uint64)
	share := leaves / treeFanout
	for k := uint64(0); k < treeFanout; k++ {
		go treeNode(first+k*share, share, children)
	}
	var sum uint64
	for k := 0; k < treeFanout; k++ {
		sum += <-children
	}
	parent <- sum
}

func tree(leaves uint64) uint64 {
	root := make(chan uint64)
	go treeNode(0, leaves, root)
	return <-root
}

// poolJob: eight rounds of the splitmix64 finaliser (bench/workloads.hpp).
func poolJob(x uint64) uint64 {
	for round := 0; round < 8; round++ {
		x += 0x9e3779b97f4a7c15
		x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
		x = (x ^ (x >> 27)) * 0x94d049bb133111eb
		x ^= x >> 31
	}
	return x
}

// workerPool: 100 workers ranging over one job channel, results on another.
func workerPool(jobs uint64) uint64 {
	work := make(chan uint64)
	results := make(chan uint64)
	for w := 0; w < poolWorkers; w++ {
		go func() {
			for job := range work {
				results <- poolJob(job)
			}
		}()
	}
	go func() {
		for i := uint64(0); i < jobs; i++ {
			work <- i
		}
		close(work)
	}()
	var sum uint64
	for i := uint64(0); i < jobs; i++ {
		sum += <-results
	}
	return sum
}

// nthPrime: the nth prime by a sieve of Eratosthenes, no goroutines.
func nthPrime(n uint64) uint64 {
	for bound := uint64(64); ; bound *= 2 {
		composite := make([]bool, bound)
		found := uint64(0)
		for i := uint64(2); i < bound; i++ {
			if composite[i] {
				continue
			}
			found++
			if found == n {
				return i
			}
			for j := i * i; j < bound; j += i {
				composite[j] = true
			}
		}
	}
}

func isTreeSize(leaves uint64) bool {
	if leaves == 0 {
		return false
	}
	for leaves%treeFanout == 0 {
		leaves /= treeFanout
	}
	return leaves == 1
}

// processCPU: the CPU time of the whole process so far, every thread (the
// runtime's own included), in ns.
func processCPU() int64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0
	}
	return usage.Utime.Nano() + usage.Stime.Nano()
}

// expected: each program's right answer, computed without goroutines.
func expected(name string, size uint64) uint64 {
	switch name {
	case "thread-ring":
		return size%ringSize + 1
	case "prime-sieve":
		return nthPrime(size)
	case "tree":
		return size * (size - 1) / 2
	}
	var sum uint64
	for i := uint64(0); i < size; i++ {
		sum += poolJob(i)
	}
	return sum
}

func main() {
	usage := func() {
		fmt.Fprintf(os.Stderr, "usage: %s thread-ring PASSES | prime-sieve PRIMES | "+
			"tree LEAVES (a power of 10) | worker-pool JOBS\n", os.Args[0])
		os.Exit(2)
	}
	if len(os.Args) != 3 {
		usage()
	}
	name := os.Args[1]
	size, err := strconv.ParseUint(os.Args[2], 10, 64)
	if err != nil || size == 0 || (name == "tree" && !isTreeSize(size)) ||
		(name == "prime-sieve" && size > 100000) {
		usage()
	}
	programs := map[string]func(uint64) uint64{
		"thread-ring": threadRing, "prime-sieve": primeSieve,
		"tree": tree, "worker-pool": workerPool,
	}
	run, known := programs[name]
	if !known {
		usage()
	}
	start, startCPU := time.Now(), processCPU()
	answer := run(size)
	elapsed, cpu := time.Since(start).Nanoseconds(), processCPU()-startCPU
	if want := expected(name, size); answer != want {
		fmt.Fprintf(os.Stderr, "%s %d: wrong answer %d, expected %d\n", name, size, answer, want)
		os.Exit(1)
	}
	fmt.Printf("answer=%d result_ns=%d result_cpu_ns=%d\n", answer, elapsed, cpu)
}
