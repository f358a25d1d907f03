//! The status page (`GET /` on the admin listener): the overview of the gateway as one
//! HTML document. Pure: an [`Overview`](crate::api::Overview) in, text out.
