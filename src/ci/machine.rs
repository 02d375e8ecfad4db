//! The machine a run was made on, as the report's footer shows it.

/// The machine a report was produced on.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Machine {
    /// Operating system, version and architecture.
    pub os: String,
    /// CPU model.
    pub cpu: Option<String>,
    /// Logical CPUs available to this process.
    pub cpus: usize,
    /// Total memory in bytes.
    pub memory: Option<u64>,
    /// GPUs as `nvidia-smi` lists them.
    pub gpus: Vec<String>,
}

impl Machine {
    /// Reads `/etc/os-release`, `/proc/cpuinfo`, `/proc/meminfo` and `nvidia-smi` when present.
    /// Only the report shows the machine, so only it pays for this.
    pub fn detect() -> Machine {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let os_release = read("/etc/os-release");
        let pretty = os_release
            .lines()
            .find_map(|line| line.strip_prefix("PRETTY_NAME="))
            .map(|name| name.trim_matches('"').to_owned());
        let kernel = read("/proc/sys/kernel/osrelease").trim().to_owned();
        let mut os = pretty.unwrap_or_else(|| std::env::consts::OS.to_owned());
        if !kernel.is_empty() {
            os.push_str(&format!(", kernel {kernel}"));
        }
        os.push_str(&format!(", {}", std::env::consts::ARCH));
        let cpu = read("/proc/cpuinfo").lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == "model name").then(|| value.trim().to_owned())
        });
        let memory = read("/proc/meminfo").lines().find_map(|line| {
            let kib: u64 = line
                .strip_prefix("MemTotal:")?
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()?;
            Some(kib * 1024)
        });
        Machine {
            os,
            cpu,
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            memory,
            gpus: nvidia_gpus(),
        }
    }
}

fn nvidia_gpus() -> Vec<String> {
    let output = std::process::Command::new("nvidia-smi")
        .args([
            "--query-gpu=name,memory.total,driver_version",
            "--format=csv,noheader",
        ])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output();
    match output {
        Ok(output) if output.status.success() => String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|line| {
                let parts: Vec<&str> = line.split(',').map(str::trim).collect();
                match parts.as_slice() {
                    [name, memory, driver] => format!("{name} ({memory}, driver {driver})"),
                    _ => line.trim().to_owned(),
                }
            })
            .filter(|line| !line.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}
