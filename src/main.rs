// mimalloc (v2, which keeps less memory than v3): every case allocates its request, response
// and result on the runtime's threads, and its thread-local heaps do that with less CPU and
// far fewer system calls than glibc's arenas (BENCHMARKS.md: --jobs 8 about a fifth faster).
// Without transparent huge pages (`no_thp`): where the kernel gives them always, every 2 MiB
// region mimalloc touches in its eagerly committed arena is resident whole (peak RSS at 10,000
// cases 99 → 87 MiB, one trivial case 10.5 → 8.6 ms; BENCHMARKS.md, run I).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cpc::cli::main()
}
