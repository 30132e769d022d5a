//! The open set of event names: one variant per known `contact_center.*` name, and
//! [`EventKind::Unknown`] for every name never seen (SPEC I6).

/// Which typed object a kind's `payload.object` is read into (see [`crate::Family`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FamilyKind {
    /// The engagement as a whole: started, ended, end-data-ready, channel upgrade.
    Engagement,
    /// One party's leg: `engagement_consumer_*` and `engagement_user_*` (answered, ended, hold,
    /// unhold, mute, DTMF, wrap-up).
    Leg,
    /// `engagement_transfer_*`.
    Transfer,
    /// `task_*`: the routing object.
    Task,
    /// `task_reservation_*`: an offer of a task to one agent.
    Reservation,
    /// Supervisor sessions: `engagement_monitor_*`, `engagement_takeover_started` and the 2023
    /// `engagement_user_*_initiated` names.
    Supervision,
    /// `engagement_conference_*` (2026).
    Conference,
    /// `call_control_conference_warm_invite_executed`: the Call Control API request that
    /// started a conference, with its `conference_id`.
    CallControl,
    /// `recording_*` (not the transcript).
    Recording,
    /// What an agent records about the call: `engagement_disposition_added`,
    /// `engagement_note_added`.
    Annotation,
    /// Everything the call model does not read; the object is kept verbatim.
    Other,
}

/// The supervision mode a kind's name implies, for the names that carry it in the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NamedMode {
    Barge,
    Monitor,
    Takeover,
    Whisper,
}

macro_rules! event_kinds {
    ($( $variant:ident = $name:literal, $family:ident, $rank:expr; )*) => {
        /// A webhook's `event` name. Known names have a variant; any other name is kept verbatim
        /// in [`EventKind::Unknown`].
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventKind {
            $(
                #[doc = concat!("`contact_center.", $name, "`")]
                $variant,
            )*
            /// A name this crate does not know, verbatim as received (prefix included).
            Unknown(String),
        }

        impl EventKind {
            /// Every known kind, in declaration order.
            pub const KNOWN: &'static [EventKind] = &[$(EventKind::$variant,)*];

            /// The full `event` name (`contact_center.engagement_user_hold`); for
            /// [`EventKind::Unknown`] the name as received.
            pub fn as_str(&self) -> &str {
                match self {
                    $(EventKind::$variant => concat!("contact_center.", $name),)*
                    EventKind::Unknown(name) => name,
                }
            }

            /// Read an `event` name. Never fails: a name that is not known becomes
            /// [`EventKind::Unknown`] with the name verbatim.
            pub fn from_name(name: &str) -> EventKind {
                match name.strip_prefix("contact_center.") {
                    Some(short) => match short {
                        $($name => EventKind::$variant,)*
                        _ => EventKind::Unknown(name.to_owned()),
                    },
                    None => EventKind::Unknown(name.to_owned()),
                }
            }

            /// The family whose typed object this kind's `payload.object` is read into.
            pub fn family(&self) -> FamilyKind {
                match self {
                    $(EventKind::$variant => FamilyKind::$family,)*
                    EventKind::Unknown(_) => FamilyKind::Other,
                }
            }

            /// Rank used to order events whose event time is equal (SPEC I7): lower folds first.
            /// It follows the life of a call (engagement_started < task_created < reservation
            /// created < reservation accepted < user answered < hold < unhold < transfer_* in
            /// lifecycle order < user_ended < consumer_ended < engagement_ended). Kinds that
            /// carry no lifecycle meaning, and unknown names, sit in the middle at 500.
            /// The next tie-break after this rank is the SHA-256 of the raw body.
            pub fn tie_break_rank(&self) -> u16 {
                match self {
                    $(EventKind::$variant => $rank,)*
                    EventKind::Unknown(_) => MIDDLE,
                }
            }
        }
    };
}

/// Rank of kinds with no place in the call's lifecycle.
const MIDDLE: u16 = 500;

event_kinds! {
    // Engagement lifecycle.
    EngagementStarted = "engagement_started", Engagement, 100;
    EngagementEnded = "engagement_ended", Engagement, 950;
    CxEngagementEndDataReady = "cx_engagement_end_data_ready", Engagement, 970;
    LegacyEngagementEndDataReady = "legacy_engagement_end_data_ready", Engagement, 971;
    EngagementUpgradeInitiated = "engagement_upgrade_initiated", Engagement, 480;
    EngagementUpgradeCompleted = "engagement_upgrade_completed", Engagement, 481;
    EngagementUpgradeExpired = "engagement_upgrade_expired", Engagement, 482;
    // Legs.
    EngagementConsumerNotified = "engagement_consumer_notified", Leg, 240;
    EngagementConsumerAnswered = "engagement_consumer_answered", Leg, 245;
    EngagementUserAnswered = "engagement_user_answered", Leg, 250;
    EngagementUserHold = "engagement_user_hold", Leg, 400;
    EngagementUserUnhold = "engagement_user_unhold", Leg, 410;
    EngagementUserMuted = "engagement_user_muted", Leg, 490;
    EngagementUserUnmuted = "engagement_user_unmuted", Leg, 491;
    EngagementUserDtmfSent = "engagement_user_dtmf_sent", Leg, 492;
    EngagementUserEnded = "engagement_user_ended", Leg, 800;
    EngagementConsumerEnded = "engagement_consumer_ended", Leg, 810;
    EngagementWrapUpStarted = "engagement_wrap_up_started", Leg, 820;
    EngagementWrapUpEnded = "engagement_wrap_up_ended", Leg, 830;
    // Transfers, in lifecycle order.
    EngagementTransferInitiated = "engagement_transfer_initiated", Transfer, 420;
    EngagementTransferQueued = "engagement_transfer_queued", Transfer, 421;
    EngagementTransferReserved = "engagement_transfer_reserved", Transfer, 422;
    EngagementTransferAccepted = "engagement_transfer_accepted", Transfer, 423;
    EngagementTransferRejected = "engagement_transfer_rejected", Transfer, 424;
    EngagementTransferTimeout = "engagement_transfer_timeout", Transfer, 425;
    EngagementTransferCanceled = "engagement_transfer_canceled", Transfer, 426;
    EngagementTransferCompleted = "engagement_transfer_completed", Transfer, 427;
    // Conferences (2026).
    EngagementConferenceParticipantInvited = "engagement_conference_participant_invited", Conference, 440;
    EngagementConferenceParticipantJoined = "engagement_conference_participant_joined", Conference, 441;
    EngagementConferenceParticipantRejected = "engagement_conference_participant_rejected", Conference, 442;
    EngagementConferenceParticipantTimeout = "engagement_conference_participant_timeout", Conference, 443;
    EngagementConferenceParticipantCanceled = "engagement_conference_participant_canceled", Conference, 444;
    EngagementConferenceParticipantLeft = "engagement_conference_participant_left", Conference, 445;
    EngagementConferenceCanceled = "engagement_conference_canceled", Conference, 446;
    // Supervision: the 2023 names, then the newer ones.
    EngagementUserMonitorInitiated = "engagement_user_monitor_initiated", Supervision, 460;
    EngagementUserWhisperInitiated = "engagement_user_whisper_initiated", Supervision, 461;
    EngagementUserBargeInitiated = "engagement_user_barge_initiated", Supervision, 462;
    EngagementUserTakeoverInitiated = "engagement_user_takeover_initiated", Supervision, 463;
    EngagementMonitorStarted = "engagement_monitor_started", Supervision, 460;
    EngagementTakeoverStarted = "engagement_takeover_started", Supervision, 463;
    EngagementMonitorEnded = "engagement_monitor_ended", Supervision, 470;
    // Tasks.
    TaskCreated = "task_created", Task, 200;
    TaskUpdated = "task_updated", Task, 205;
    TaskEnteredQueue = "task_entered_queue", Task, 210;
    TaskExitedQueue = "task_exited_queue", Task, 235;
    TaskCanceled = "task_canceled", Task, 900;
    TaskCompleted = "task_completed", Task, 901;
    TaskDeleted = "task_deleted", Task, 902;
    // Reservations.
    TaskReservationCreated = "task_reservation_created", Reservation, 220;
    TaskReservationAccepted = "task_reservation_accepted", Reservation, 230;
    TaskReservationRejected = "task_reservation_rejected", Reservation, 231;
    TaskReservationTimeout = "task_reservation_timeout", Reservation, 232;
    TaskReservationCanceled = "task_reservation_canceled", Reservation, 233;
    TaskReservationRescinded = "task_reservation_rescinded", Reservation, 234;
    TaskReservationCompleted = "task_reservation_completed", Reservation, 890;
    // Recording.
    RecordingStarted = "recording_started", Recording, 260;
    RecordingPaused = "recording_paused", Recording, 495;
    RecordingResumed = "recording_resumed", Recording, 496;
    RecordingStopped = "recording_stopped", Recording, 790;
    RecordingCompleted = "recording_completed", Recording, 960;
    RecordingDeleted = "recording_deleted", Recording, 980;
    RecordingPermanentlyDeleted = "recording_permanently_deleted", Recording, 981;
    // What an agent records about the call.
    EngagementDispositionAdded = "engagement_disposition_added", Annotation, 840;
    EngagementNoteAdded = "engagement_note_added", Annotation, MIDDLE;
    // Engagement content: read as Other.
    EngagementSurveyStatus = "engagement_survey_status", Other, 960;
    EngagementMessagingTranscriptCompleted = "engagement_messaging_transcript_completed", Other, 975;
    EngagementEmailTranscriptCompleted = "engagement_email_transcript_completed", Other, 975;
    VoicemailTranscriptCompleted = "voicemail_transcript_completed", Other, 975;
    RecordingTranscriptCompleted = "recording_transcript_completed", Other, 975;
    EngagementConsumerSentMessage = "engagement_consumer_sent_message", Other, MIDDLE;
    EngagementUserSentMessage = "engagement_user_sent_message", Other, MIDDLE;
    EngagementUserSentFile = "engagement_user_sent_file", Other, MIDDLE;
    EngagementConsumerSentFile = "engagement_consumer_sent_file", Other, MIDDLE;
    EngagementCustomerSentFile = "engagement_customer_sent_file", Other, MIDDLE;
    // Media streaming.
    VoiceRtmsStarted = "voice_rtms_started", Other, MIDDLE;
    VoiceRtmsStopped = "voice_rtms_stopped", Other, MIDDLE;
    VoiceRtmsInterrupted = "voice_rtms_interrupted", Other, MIDDLE;
    // Call-control command results.
    CallControlMakeCallExecuted = "call_control_make_call_executed", Other, MIDDLE;
    CallControlAnswerCallExecuted = "call_control_answer_call_executed", Other, MIDDLE;
    CallControlHoldCallExecuted = "call_control_hold_call_executed", Other, MIDDLE;
    CallControlUnholdCallExecuted = "call_control_unhold_call_executed", Other, MIDDLE;
    CallControlEndCallExecuted = "call_control_end_call_executed", Other, MIDDLE;
    CallControlConferenceWarmInviteExecuted = "call_control_conference_warm_invite_executed", CallControl, MIDDLE;
    // Users (agents).
    UserStatusChanged = "user_status_changed", Other, MIDDLE;
    UserLogin = "user_login", Other, MIDDLE;
    UserLogout = "user_logout", Other, MIDDLE;
    UserCreated = "user_created", Other, MIDDLE;
    UserUpdated = "user_updated", Other, MIDDLE;
    UserDeleted = "user_deleted", Other, MIDDLE;
    UserOptIn = "user_opt_in", Other, MIDDLE;
    UserOptOut = "user_opt_out", Other, MIDDLE;
    UserSkillsAssigned = "user_skills_assigned", Other, MIDDLE;
    UserSkillsUnassigned = "user_skills_unassigned", Other, MIDDLE;
    UserPhoneNumbersAssigned = "user_phone_numbers_assigned", Other, MIDDLE;
    UserPhoneNumbersUnassigned = "user_phone_numbers_unassigned", Other, MIDDLE;
    // Queues.
    QueueCreated = "queue_created", Other, MIDDLE;
    QueueDeleted = "queue_deleted", Other, MIDDLE;
    QueueAgentAssigned = "queue_agent_assigned", Other, MIDDLE;
    QueueAgentUnassigned = "queue_agent_unassigned", Other, MIDDLE;
    QueueSupervisorAssigned = "queue_supervisor_assigned", Other, MIDDLE;
    QueueSupervisorUnassigned = "queue_supervisor_unassigned", Other, MIDDLE;
    QueueInboundSlaUpdated = "queue_inbound_sla_updated", Other, MIDDLE;
    QueueOperatingHoursUpdated = "queue_operating_hours_updated", Other, MIDDLE;
    QueueScheduledCallbackCreated = "queue_scheduled_callback_created", Other, MIDDLE;
    // Teams.
    TeamCreated = "team_created", Other, MIDDLE;
    TeamUpdated = "team_updated", Other, MIDDLE;
    TeamDeleted = "team_deleted", Other, MIDDLE;
    TeamMoved = "team_moved", Other, MIDDLE;
    TeamMembersAssigned = "team_members_assigned", Other, MIDDLE;
    TeamMembersUnassigned = "team_members_unassigned", Other, MIDDLE;
    // Configuration.
    AssetCreated = "asset_created", Other, MIDDLE;
    AssetUpdated = "asset_updated", Other, MIDDLE;
    AssetDeleted = "asset_deleted", Other, MIDDLE;
    BusinessHoursCreated = "business_hours_created", Other, MIDDLE;
    BusinessHoursUpdated = "business_hours_updated", Other, MIDDLE;
    BusinessHoursDeleted = "business_hours_deleted", Other, MIDDLE;
    ClosureCreated = "closure_created", Other, MIDDLE;
    ClosureUpdated = "closure_updated", Other, MIDDLE;
    ClosureDeleted = "closure_deleted", Other, MIDDLE;
    // Inbox.
    InboxMessageReceived = "inbox_message_received", Other, MIDDLE;
    InboxMessageAssigned = "inbox_message_assigned", Other, MIDDLE;
    InboxMessageOpened = "inbox_message_opened", Other, MIDDLE;
    InboxMessageDownloaded = "inbox_message_downloaded", Other, MIDDLE;
    InboxMessageResolved = "inbox_message_resolved", Other, MIDDLE;
    InboxMessageReopened = "inbox_message_reopened", Other, MIDDLE;
    InboxMessageDeleted = "inbox_message_deleted", Other, MIDDLE;
    // Messaging and campaigns.
    MessageStatus = "message_status", Other, MIDDLE;
    SmsStatus = "sms_status", Other, MIDDLE;
    ConsumerMessagingOptIn = "consumer_messaging_opt_in", Other, MIDDLE;
    ConsumerMessagingOptOut = "consumer_messaging_opt_out", Other, MIDDLE;
    OutboundCampaignDialerStatus = "outbound_campaign_dialer_status", Other, MIDDLE;
}

impl EventKind {
    /// True for a name this crate does not know.
    pub fn is_unknown(&self) -> bool {
        matches!(self, EventKind::Unknown(_))
    }

    /// The name without the `contact_center.` prefix, when it has one.
    pub fn short_name(&self) -> &str {
        let full = self.as_str();
        full.strip_prefix("contact_center.").unwrap_or(full)
    }

    /// The supervision mode the 2023 `engagement_user_*_initiated` names and
    /// `engagement_takeover_started` state in the name itself. The newer
    /// `engagement_monitor_*` events carry theirs in `action_type` instead.
    pub fn named_supervision_mode(&self) -> Option<NamedMode> {
        match self {
            EventKind::EngagementUserBargeInitiated => Some(NamedMode::Barge),
            EventKind::EngagementUserMonitorInitiated => Some(NamedMode::Monitor),
            EventKind::EngagementUserWhisperInitiated => Some(NamedMode::Whisper),
            EventKind::EngagementUserTakeoverInitiated | EventKind::EngagementTakeoverStarted => {
                Some(NamedMode::Takeover)
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for EventKind {
    fn from(name: &str) -> Self {
        EventKind::from_name(name)
    }
}

impl serde::Serialize for EventKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for EventKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(EventKind::from_name(&name))
    }
}
