// mimalloc (v2, which keeps less memory than v3): every case allocates its request, response
// and result on the runtime's threads, and its thread-local heaps do that with less CPU and
// far fewer system calls than glibc's arenas (BENCHMARKS.md: --jobs 8 about a fifth faster).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cpc::cli::main()
}
