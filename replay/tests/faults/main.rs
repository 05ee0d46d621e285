//! Mutation tests, one module per operator family: a deliberately broken
//! kernel or node (`--inject-fault`) must make `ft-replay` fail on the
//! family's golden traces with the right exit code, naming the operator or
//! node where the divergence starts.

mod autocast;
mod bilinear_margin;
mod channels_last;
mod checkpoint_early_stop;
mod complex;
mod complex_recon;
mod conv;
mod ctc;
mod distributions;
mod double_backward;
mod efficientnet;
mod elementwise;
mod embedding_max_norm;
mod engine;
mod errors;
mod fake_quant;
mod fft;
mod foreach;
mod functions;
mod functorch;
mod generators;
mod grad_modes;
mod graph_conv;
mod hf_decoder;
mod hooks;
mod indexing;
mod inference_composites;
mod linalg;
mod lstm;
mod margin_losses;
mod metric_learning;
mod nn;
mod node_hooks;
mod pad3d;
mod programs;
mod reduction;
mod saved_hooks;
mod seq2seq_lbfgs;
mod sequence;
mod shrink;
mod shufflenet;
mod special;
mod statistics;
mod support;
mod tensor_data;
mod torchvision;
mod training_misc;
mod transformer_fastpath;
mod utility;
mod views;
mod vision;
mod vision_transformers;
mod weight_norm;
