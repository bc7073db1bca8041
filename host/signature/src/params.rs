//! The signature parameters: `name="value"` pairs separated by commas.
//!
//! Grammar (npm `http-signature`'s, with optional whitespace around commas):
//!
//! ```text
//! params = OWS param *( OWS "," OWS param ) OWS
//! param  = 1*ALPHA "=" DQUOTE *( any char but DQUOTE ) DQUOTE
//! ```
//!
//! There are no escapes (npm has none). Duplicated names, unterminated
//! quotes, a trailing comma or anything else are refused. Unknown names are
//! kept out of the result but still checked for duplicates.

use super::SignatureError;

/// At most this many parameters (npm knows 4; cavage adds `created`,
/// `expires`).
const MAX_PARAMS: usize = 16;

/// The parameters this module uses, borrowed from the header value.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Params<'a> {
    pub key_id: Option<&'a str>,
    pub algorithm: Option<&'a str>,
    pub headers: Option<&'a str>,
    pub signature: Option<&'a str>,
}

fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Parses the parameter list (without the `Signature ` scheme).
pub(super) fn parse(input: &str) -> Result<Params<'_>, SignatureError> {
    let bytes = input.as_bytes();
    let mut params = Params::default();
    let mut seen: Vec<&str> = Vec::new();
    let mut i = 0;
    let skip_ows = |mut i: usize| {
        while i < bytes.len() && is_ows(bytes[i]) {
            i += 1;
        }
        i
    };

    i = skip_ows(i);
    if i == bytes.len() {
        return Err(SignatureError::MalformedParams("no parameters"));
    }
    loop {
        // name
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        if i == start {
            return Err(SignatureError::MalformedParams("expected a parameter name"));
        }
        let name = &input[start..i];
        if bytes.get(i) != Some(&b'=') {
            return Err(SignatureError::MalformedParams("expected = after a name"));
        }
        i += 1;
        if bytes.get(i) != Some(&b'"') {
            return Err(SignatureError::MalformedParams("expected a quoted value"));
        }
        i += 1;
        let value_start = i;
        while i < bytes.len() && bytes[i] != b'"' {
            i += 1;
        }
        if i == bytes.len() {
            return Err(SignatureError::MalformedParams("unterminated quoted value"));
        }
        let value = &input[value_start..i];
        i += 1;

        if seen.contains(&name) {
            return Err(SignatureError::DuplicateParam);
        }
        if seen.len() == MAX_PARAMS {
            return Err(SignatureError::MalformedParams("too many parameters"));
        }
        seen.push(name);
        match name {
            "keyId" => params.key_id = Some(value),
            "algorithm" => params.algorithm = Some(value),
            "headers" => params.headers = Some(value),
            "signature" => params.signature = Some(value),
            _ => {}
        }

        i = skip_ows(i);
        if i == bytes.len() {
            return Ok(params);
        }
        if bytes[i] != b',' {
            return Err(SignatureError::MalformedParams(
                "expected a comma between parameters",
            ));
        }
        i = skip_ows(i + 1);
        if i == bytes.len() {
            return Err(SignatureError::MalformedParams("trailing comma"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_npm_format() {
        let p = parse(
            r#"keyId="k",algorithm="hmac-sha256",headers="(request-target) date",signature="c2ln""#,
        )
        .unwrap();
        assert_eq!(
            p,
            Params {
                key_id: Some("k"),
                algorithm: Some("hmac-sha256"),
                headers: Some("(request-target) date"),
                signature: Some("c2ln"),
            }
        );
    }

    #[test]
    fn lenient_about_whitespace_around_commas() {
        let p = parse(" keyId=\"k\" ,\talgorithm=\"a\",  signature=\"s\" ").unwrap();
        assert_eq!(p.key_id, Some("k"));
        assert_eq!(p.algorithm, Some("a"));
        assert_eq!(p.signature, Some("s"));
        assert_eq!(p.headers, None);
    }

    #[test]
    fn values_may_hold_commas_and_equals() {
        let p = parse(r#"keyId="a,b=c",signature="ab+/=""#).unwrap();
        assert_eq!(p.key_id, Some("a,b=c"));
        assert_eq!(p.signature, Some("ab+/="));
    }

    #[test]
    fn ignores_unknown_params() {
        let p = parse(r#"keyId="k",created="1",expires="2""#).unwrap();
        assert_eq!(p.key_id, Some("k"));
    }

    #[test]
    fn refuses_malformed() {
        for bad in [
            "",
            "   ",
            r#"keyId="k""#.trim_end_matches('"'),
            r#"keyId=k"#,
            r#"keyId ="k""#,
            r#"keyId= "k""#,
            r#"key-id="k""#,
            r#"keyId="k",,signature="s""#,
            r#"keyId="k","#,
            r#"keyId="k" signature="s""#,
            r#"keyId="k"x"#,
            r#"="k""#,
            r#"keyId="k";signature="s""#,
        ] {
            assert!(
                matches!(parse(bad), Err(SignatureError::MalformedParams(_))),
                "{bad:?} -> {:?}",
                parse(bad)
            );
        }
    }

    #[test]
    fn refuses_duplicates() {
        assert_eq!(
            parse(r#"keyId="a",keyId="b""#),
            Err(SignatureError::DuplicateParam)
        );
        assert_eq!(parse(r#"x="a",x="b""#), Err(SignatureError::DuplicateParam));
    }

    #[test]
    fn refuses_too_many() {
        let many: Vec<String> = (0..17)
            .map(|i| format!("p{}=\"v\"", "a".repeat(i + 1)))
            .collect();
        assert!(matches!(
            parse(&many.join(",")),
            Err(SignatureError::MalformedParams(_))
        ));
    }
}
