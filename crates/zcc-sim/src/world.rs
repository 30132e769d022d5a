//! The simulated contact center: one account, its flows, queues, agents and supervisors, and
//! which agent is busy until when (so an agent is rarely on two calls at once).

use rand::Rng;

use crate::ids::{b64_id, e164, hex_id};

#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub idx: usize,
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Queue {
    pub id: String,
    pub name: String,
    pub max_wait_time: i64,
    pub wrap_up_time: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct Flow {
    pub id: String,
    pub name: String,
    /// The DID callers dial.
    pub number: String,
}

/// The team a queue's agents belong to, and the team's division (the `teams[]`,
/// `division_id` and `division_name` of the documented conference events).
#[derive(Debug, Clone)]
pub(crate) struct Team {
    pub id: String,
    pub name: String,
    pub division_id: String,
    pub division_name: String,
}

pub(crate) struct World {
    pub account_id: String,
    pub channel_id: String,
    pub flows: Vec<Flow>,
    pub queues: Vec<Queue>,
    pub agents: Vec<Person>,
    pub supervisors: Vec<Person>,
    /// One team per queue, same index; empty until [`World::add_teams`].
    pub teams: Vec<Team>,
    agent_busy_until: Vec<i64>,
    supervisor_busy_until: Vec<i64>,
}

const FIRST: &[&str] = &[
    "Alice", "Bob", "Carmen", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal", "Kofi",
    "Lena", "Marco", "Nadia", "Oscar", "Priya", "Quentin", "Rosa", "Sven", "Tamika", "Uma",
    "Victor", "Wen", "Ximena", "Yusuf", "Zoe",
];
const LAST: &[&str] = &[
    "Nguyen",
    "Smith",
    "Garcia",
    "Okafor",
    "Kowalski",
    "Tanaka",
    "Haddad",
    "Johansson",
    "Silva",
    "Murphy",
    "Chen",
    "Dubois",
    "Rossi",
    "Patel",
    "Schmidt",
    "Novak",
    "Reyes",
    "Larsen",
];
const QUEUES: &[&str] = &[
    "Support",
    "Billing",
    "Sales",
    "Retention",
    "Technical Support",
    "Claims",
    "Spanish Support",
];
const FLOWS: &[&str] = &[
    "Main IVR",
    "Sales Line",
    "Priority Customers",
    "After Hours",
];

const DIVISIONS: &[&str] = &["North America Operations", "EMEA Operations"];

pub(crate) fn person_name(rng: &mut impl Rng) -> String {
    format!(
        "{} {}",
        FIRST[rng.random_range(0..FIRST.len())],
        LAST[rng.random_range(0..LAST.len())]
    )
}

impl World {
    pub(crate) fn new(rng: &mut impl Rng, agents: usize, supervisors: usize) -> Self {
        let people = |rng: &mut _, n: usize| -> Vec<Person> {
            (0..n)
                .map(|idx| Person {
                    idx,
                    id: b64_id(rng),
                    name: person_name(rng),
                })
                .collect()
        };
        let flows = FLOWS
            .iter()
            .map(|name| Flow {
                id: hex_id(rng, "ZWW"),
                name: (*name).to_owned(),
                number: e164(rng),
            })
            .collect();
        let queues = QUEUES
            .iter()
            .map(|name| Queue {
                id: b64_id(rng),
                name: (*name).to_owned(),
                max_wait_time: rng.random_range(3..=20) * 60,
                wrap_up_time: rng.random_range(2..=12) * 15,
            })
            .collect();
        let account_id = b64_id(rng);
        let channel_id = hex_id(rng, "ZTC");
        let agents = people(rng, agents.max(4));
        let supervisors = people(rng, supervisors.max(1));
        World {
            account_id,
            channel_id,
            flows,
            queues,
            agent_busy_until: vec![i64::MIN; agents.len()],
            supervisor_busy_until: vec![i64::MIN; supervisors.len()],
            agents,
            supervisors,
            teams: Vec::new(),
        }
    }

    /// One team per queue, in two divisions.
    pub(crate) fn add_teams(&mut self, rng: &mut impl Rng) {
        let divisions: Vec<(String, &str)> = DIVISIONS.iter().map(|n| (b64_id(rng), *n)).collect();
        self.teams = self
            .queues
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let (division_id, division_name) = &divisions[i % divisions.len()];
                Team {
                    id: b64_id(rng),
                    name: format!("{} Team", q.name),
                    division_id: division_id.clone(),
                    division_name: (*division_name).to_owned(),
                }
            })
            .collect();
    }

    /// An agent free at `at` and not in `exclude` (by index); if none is free, the one free
    /// soonest. The agent is marked busy until [`World::release_agent`].
    pub(crate) fn pick_agent(&mut self, rng: &mut impl Rng, at: i64, exclude: &[usize]) -> Person {
        let idx = pick(&mut self.agent_busy_until, rng, at, exclude);
        self.agents[idx].clone()
    }

    pub(crate) fn pick_supervisor(&mut self, rng: &mut impl Rng, at: i64) -> Person {
        let idx = pick(&mut self.supervisor_busy_until, rng, at, &[]);
        self.supervisors[idx].clone()
    }

    pub(crate) fn release_agent(&mut self, idx: usize, free_at: i64) {
        self.agent_busy_until[idx] = free_at;
    }

    pub(crate) fn release_supervisor(&mut self, idx: usize, free_at: i64) {
        self.supervisor_busy_until[idx] = free_at;
    }
}

fn pick(busy: &mut [i64], rng: &mut impl Rng, at: i64, exclude: &[usize]) -> usize {
    let n = busy.len();
    let offset = rng.random_range(0..n);
    let mut best: Option<usize> = None;
    for k in 0..n {
        let i = (offset + k) % n;
        if exclude.contains(&i) {
            continue;
        }
        if busy[i] <= at {
            best = Some(i);
            break;
        }
        if best.is_none_or(|b| busy[i] < busy[b]) {
            best = Some(i);
        }
    }
    // `exclude` never holds every agent (a call involves at most three), so `best` is set.
    let idx = best.unwrap_or(offset);
    busy[idx] = i64::MAX;
    idx
}
