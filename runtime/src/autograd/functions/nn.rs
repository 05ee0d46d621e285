//! Backward functions of the neural-network operators (softmax, losses, normalization, convolution, pooling, attention) and batched matrix products.

pub(crate) mod attention;
pub(crate) mod cdist;
pub(crate) mod conv;
pub(crate) mod ctc;
pub(crate) mod fold;
pub(crate) mod grid_sample;
pub(crate) mod group_norm;
pub(crate) mod loss;
pub(crate) mod margin_losses;
pub(crate) mod multi_margin;
pub(crate) mod norm;
pub(crate) mod pad;
pub(crate) mod pdist;
pub(crate) mod pool;
pub(crate) mod pool3d;
pub(crate) mod prelu;
pub(crate) mod smooth_l1;
pub(crate) mod softmax;
pub(crate) mod trilinear;
pub(crate) mod upsample;
pub(crate) mod weight_norm;
