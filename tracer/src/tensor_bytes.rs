//! Element buffers ↔ blob bytes.
//!
//! Blobs hold elements in logical C order, little-endian, whatever the
//! tensor's strides; these helpers do the byte conversion for the dtypes the
//! runtime supports and decode blobs back to numbers for value comparison.

/// Little-endian bytes of `f32` elements.
pub fn f32_to_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Little-endian bytes of `f64` elements.
pub fn f64_to_bytes(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Little-endian bytes of `i64` elements.
pub fn i64_to_bytes(values: &[i64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Size in bytes of one element, for the dtypes blobs may hold.
pub fn element_size(dtype: &str) -> Option<usize> {
    Some(match dtype {
        "complex128" => 16,
        "float64" | "int64" | "complex64" => 8,
        "float32" | "int32" => 4,
        "float16" | "bfloat16" | "int16" => 2,
        "bool" | "uint8" | "int8" => 1,
        _ => return None,
    })
}

/// Decodes blob bytes to f64 for comparison; `None` for an unknown dtype or a
/// length that is not a whole number of elements. A complex value decodes
/// to its interleaved (real, imag) parts.
pub fn to_f64(dtype: &str, data: &[u8]) -> Option<Vec<f64>> {
    let size = element_size(dtype)?;
    if !data.len().is_multiple_of(size) {
        return None;
    }
    let (dtype, size) = match dtype {
        "complex64" => ("float32", 4),
        "complex128" => ("float64", 8),
        other => (other, size),
    };
    let chunks = data.chunks_exact(size);
    let out = match dtype {
        "float32" => chunks
            .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
        "float64" => chunks
            .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect(),
        "int64" => chunks
            .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f64)
            .collect(),
        "int32" => chunks
            .map(|c| f64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
        "float16" => chunks
            .map(|c| f16_to_f64(u16::from_le_bytes([c[0], c[1]])))
            .collect(),
        "bfloat16" => chunks
            .map(|c| {
                f64::from(f32::from_bits(
                    u32::from(u16::from_le_bytes([c[0], c[1]])) << 16,
                ))
            })
            .collect(),
        "int16" => chunks
            .map(|c| f64::from(i16::from_le_bytes([c[0], c[1]])))
            .collect(),
        "bool" | "uint8" => chunks.map(|c| f64::from(c[0])).collect(),
        "int8" => chunks.map(|c| f64::from(c[0] as i8)).collect(),
        _ => return None,
    };
    Some(out)
}

fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((bits >> 10) & 0x1f);
    let frac = f64::from(bits & 0x3ff);
    match exp {
        0 => sign * frac * 2f64.powi(-24),
        31 if frac == 0.0 => sign * f64::INFINITY,
        31 => f64::NAN,
        e => sign * (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float32_round_trip() {
        let v = [1.5f32, -0.25, 3.0];
        let back = to_f64("float32", &f32_to_bytes(&v)).expect("decode");
        assert_eq!(back, vec![1.5, -0.25, 3.0]);
    }

    #[test]
    fn half_precision_decodes() {
        // 0x3c00 = 1.0, 0xc000 = -2.0 in float16; 0x3f80 = 1.0 in bfloat16
        assert_eq!(
            to_f64("float16", &[0x00, 0x3c, 0x00, 0xc0]),
            Some(vec![1.0, -2.0])
        );
        assert_eq!(to_f64("bfloat16", &[0x80, 0x3f]), Some(vec![1.0]));
    }

    #[test]
    fn complex_decodes_to_interleaved_parts() {
        let c64 = f32_to_bytes(&[1.5, -2.0, 0.25, 3.0]);
        assert_eq!(element_size("complex64"), Some(8));
        assert_eq!(to_f64("complex64", &c64), Some(vec![1.5, -2.0, 0.25, 3.0]));
        let c128 = f64_to_bytes(&[0.5, -1.0]);
        assert_eq!(element_size("complex128"), Some(16));
        assert_eq!(to_f64("complex128", &c128), Some(vec![0.5, -1.0]));
        assert_eq!(to_f64("complex64", &c64[..4]), None);
    }

    #[test]
    fn ragged_or_unknown_is_none() {
        assert_eq!(to_f64("float32", &[0, 0, 0]), None);
        assert_eq!(to_f64("qint8", &[0]), None);
    }
}
