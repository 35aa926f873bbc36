//! Block heights as times: a genesis time and a fixed time per block, both settable
//! (by default the Stacks 2.0 mainnet's launch day and 10 minutes a block).

/// Turns a block height into the instant it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// Seconds since 1970-01-01T00:00:00Z of block 0.
    pub genesis: i64,
    /// Seconds a block lasts.
    pub seconds_per_block: i64,
}

impl Default for Clock {
    /// 2021-01-14T00:00:00Z, 600 seconds a block.
    fn default() -> Clock {
        Clock { genesis: 1_610_582_400, seconds_per_block: 600 }
    }
}

impl Clock {
    /// The instant of `block` as a FHIR `instant` (`YYYY-MM-DDThh:mm:ssZ`), or
    /// `None` past year 9999.
    pub fn instant(&self, block: u128) -> Option<String> {
        let offset = i64::try_from(block).ok()?.checked_mul(self.seconds_per_block)?;
        let seconds = self.genesis.checked_add(offset)?;
        let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        if !(0..=9999).contains(&year) {
            return None;
        }
        let (hour, minute, second) = (second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60);
        Some(format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z"))
    }
}

/// Seconds since 1970-01-01T00:00:00Z of an instant written `YYYY-MM-DDThh:mm:ssZ`.
pub fn parse_instant(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let shape =
        bytes.len() == 20 && [4, 7].iter().all(|&i| bytes[i] == b'-') && bytes[10] == b'T' && bytes[13] == b':' && bytes[16] == b':' && bytes[19] == b'Z';
    if !shape {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        text.get(range).filter(|digits| digits.bytes().all(|b| b.is_ascii_digit())).and_then(|digits| digits.parse::<i64>().ok())
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let days = days_from_civil(year, month, day)?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

/// The day number counted from 1970-01-01 of a valid proleptic Gregorian date
/// (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> Option<i64> {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month[(month - 1) as usize] {
        return None;
    }
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

/// The proleptic Gregorian date (year, month, day) of a day number counted from
/// 1970-01-01 (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_zero_is_the_genesis_and_each_block_adds_ten_minutes() {
        let clock = Clock::default();
        assert_eq!(clock.instant(0).as_deref(), Some("2021-01-14T00:00:00Z"));
        assert_eq!(clock.instant(1).as_deref(), Some("2021-01-14T00:10:00Z"));
        assert_eq!(clock.instant(144).as_deref(), Some("2021-01-15T00:00:00Z"));
        // 52,560 blocks: a year of 365 days from 2021-01-14.
        assert_eq!(clock.instant(52_560).as_deref(), Some("2022-01-14T00:00:00Z"));
    }

    #[test]
    fn leap_days_and_the_settable_genesis_are_kept() {
        let clock = Clock { genesis: 951_782_400, seconds_per_block: 3_600 }; // 2000-02-29
        assert_eq!(clock.instant(24).as_deref(), Some("2000-03-01T00:00:00Z"));
        assert_eq!(Clock { genesis: 0, seconds_per_block: 1 }.instant(86_399).as_deref(), Some("1970-01-01T23:59:59Z"));
    }

    #[test]
    fn an_instant_parses_back_to_its_seconds_and_a_malformed_one_does_not() {
        assert_eq!(parse_instant("2021-01-14T00:00:00Z"), Some(Clock::default().genesis));
        assert_eq!(parse_instant("2000-02-29T12:30:05Z"), Some(951_827_405));
        for text in ["2021-02-29T00:00:00Z", "2021-01-14 00:00:00Z", "2021-01-14T24:00:00Z", "2021-1-14T00:00:00Z", "yesterday"] {
            assert_eq!(parse_instant(text), None, "{text}");
        }
        let clock = Clock::default();
        assert_eq!(parse_instant(&clock.instant(12_345).unwrap()), Some(clock.genesis + 12_345 * 600));
    }

    #[test]
    fn a_height_past_year_9999_has_no_instant() {
        assert_eq!(Clock::default().instant(u128::MAX), None);
        assert_eq!(Clock::default().instant(1 << 40), None);
    }
}
