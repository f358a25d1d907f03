//! The sender role: takes the inventory's current set of lots and delivers it to every
//! configured receiver on the retry schedule.
//!
//! Being built. So far: [`source`], reading and checking the inventory's set.

pub mod source;
