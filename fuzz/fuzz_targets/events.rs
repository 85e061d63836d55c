//! Every event the notifications consumer applies, read exactly as the consumer reads it: the
//! type's owner from the routing key, the payload decoded and described (the names inside parsed,
//! the people it concerns found), its rule's default audiences resolved and its words written.
//! Anything may be refused (and dead-lettered); nothing may panic. The first byte picks the event
//! type; a second part, after a zero byte, is the routing key the owner is read from.

#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;

use baton_messaging::Envelope;
use baton_notifications::consumers::read_event;
use baton_notifications::rules::{Audiences, KINDS, Names, Scene, resolve};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let (payload, routing_key) = match rest.iter().position(|b| *b == 0) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let _ = Envelope::owner(&String::from_utf8_lossy(routing_key));
    let spec = &KINDS[usize::from(selector) % KINDS.len()];
    // A reminder's kind has no event type: the scheduler raises it.
    let Some(event_type) = spec.event_type else { return };
    let Ok(Some(happening)) = read_event(event_type, payload) else { return };
    let components = HashMap::new();
    let _ = resolve(&happening, spec.defaults, &Audiences::default(), &components);
    let names = Names::default();
    let scene = Scene { actor: "Someone", project: Some("A project"), component: "a component", names: &names };
    let _ = (happening.words)(&scene);
});
