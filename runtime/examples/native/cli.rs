//! Command line shared by the native example programs:
//! `--out FILE --random-from TORCH.ftr [--inject-fault NAME]...`.

use std::path::PathBuf;

use ft_runtime::Faults;

/// The parsed command line.
pub struct Cli {
    /// Where the trace goes.
    pub out: PathBuf,
    /// The twin's PyTorch trace whose random values the program uses.
    pub random_from: PathBuf,
    /// Deliberate faults (mutation tests).
    pub faults: Faults,
}

const USAGE: &str = "usage: --out FILE --random-from TORCH.ftr [--inject-fault \
                     wrong-init-bound|adam-skip-bias-correction|adamw-decay-as-l2|\
                     nonstrict-load-copies-nothing]";

impl Cli {
    /// Parses `std::env::args()`.
    pub fn parse() -> Result<Cli, String> {
        let mut out = None;
        let mut random_from = None;
        let mut faults = Faults::default();
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = |name: &str| {
                args.next()
                    .ok_or_else(|| format!("{name} needs a value; {USAGE}"))
            };
            match arg.as_str() {
                "--out" => out = Some(PathBuf::from(value("--out")?)),
                "--random-from" => random_from = Some(PathBuf::from(value("--random-from")?)),
                "--inject-fault" => match value("--inject-fault")?.as_str() {
                    "wrong-init-bound" => faults.wrong_init_bound = true,
                    "adam-skip-bias-correction" => faults.adam_skip_bias_correction = true,
                    "adamw-decay-as-l2" => faults.adamw_decay_as_l2 = true,
                    "nonstrict-load-copies-nothing" => faults.nonstrict_load_copies_nothing = true,
                    other => return Err(format!("unknown fault {other:?}; {USAGE}")),
                },
                other => return Err(format!("unexpected argument {other:?}; {USAGE}")),
            }
        }
        Ok(Cli {
            out: out.ok_or_else(|| format!("--out is required; {USAGE}"))?,
            random_from: random_from
                .ok_or_else(|| format!("--random-from is required; {USAGE}"))?,
            faults,
        })
    }
}

/// Runs a native program as its `main`: parses the command line, makes the
/// trace at `--out` (naming `source` as the program), installs the twin's
/// random values, runs `train` (whose result is printed) and finishes the
/// trace; an error is one line on stderr and exit 1.
pub fn run_program<T: std::fmt::Debug, E: Into<Box<dyn std::error::Error>>>(
    name: &str,
    source: &str,
    train: impl FnOnce(&mut ft_runtime::Runtime) -> Result<T, E>,
) -> std::process::ExitCode {
    let run = || -> Result<T, Box<dyn std::error::Error>> {
        let cli = Cli::parse()?;
        let random = ft_runtime::nn::RecordedRandom::from_trace(&cli.random_from)?;
        let (trace, mut rt) = ft_runtime::nn::NativeTrace::create(&cli.out, source)?;
        rt.set_faults(cli.faults);
        random.install(&mut rt)?;
        let result = train(&mut rt).map_err(Into::into)?;
        trace.finish(rt)?;
        Ok(result)
    };
    match run() {
        Ok(result) => {
            println!("{name}: prediction {result:?}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{name}: error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
