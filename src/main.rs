fn main() -> std::process::ExitCode {
    cpc::cli::main()
}
