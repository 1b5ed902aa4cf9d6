//! Alpaca's error answers: an HTTP status and a JSON body `{"code": <int>, "message": "<text>"}`.
//!
//! Alpaca's codes are the status followed by five digits (`40110000` for 401); a few refusals
//! have their own (`40010001` for validation errors and a reused client order id). alpaca-py
//! reads exactly `code` and `message`; apca reads `message`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One refused request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: u32,
    pub(crate) message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    code: u32,
    message: &'a str,
}

impl ApiError {
    /// Alpaca's generic code for a status: the status followed by `10000`.
    pub(crate) fn with_status(status: StatusCode, message: impl Into<String>) -> Self {
        let code = u32::from(status.as_u16())
            .saturating_mul(100_000)
            .saturating_add(10_000);
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400: the body is not JSON or not an object.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: 40_010_000,
            message: message.into(),
        }
    }

    /// 401 with Alpaca's own words.
    pub(crate) fn unauthorized() -> Self {
        Self::with_status(StatusCode::UNAUTHORIZED, "request is not authorized")
    }

    /// 403: not enough buying power or shares.
    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::with_status(StatusCode::FORBIDDEN, message)
    }

    /// 404.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::with_status(StatusCode::NOT_FOUND, message)
    }

    /// 422 for invalid input (Alpaca's validation code `40010001`); the message names the field.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: 40_010_001,
            message: message.into(),
        }
    }

    /// 422 for an order whose state refuses the request (`42210000`).
    pub(crate) fn unprocessable(message: impl Into<String>) -> Self {
        Self::with_status(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    /// 422 for a field the simulator does not implement.
    pub(crate) fn unsupported(field: &str, what: &str) -> Self {
        Self::invalid(format!("{field}: {what} is not supported by the simulator"))
    }

    /// 429.
    pub(crate) fn too_many_requests() -> Self {
        Self::with_status(StatusCode::TOO_MANY_REQUESTS, "too many requests")
    }

    /// 500: an invariant of the simulator broke (never the client's fault).
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::with_status(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            code: self.code,
            message: &self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_alpacas_pattern() {
        assert_eq!(ApiError::unauthorized().code, 40_110_000);
        assert_eq!(ApiError::too_many_requests().code, 42_910_000);
        assert_eq!(
            ApiError::with_status(StatusCode::SERVICE_UNAVAILABLE, "x").code,
            50_310_000
        );
        assert_eq!(ApiError::invalid("qty: x").code, 40_010_001);
        assert_eq!(
            ApiError::unsupported("type", "trailing_stop").message,
            "type: trailing_stop is not supported by the simulator"
        );
    }
}
