// A school's classes and groups (the roster: Group, GroupMembership) and each one's members.
import { useEffect, useRef, useState } from 'react';
import type { GroupFieldsFragment, LicenseClient } from '@school-licenses/sdk';
import { ClassLicensing } from './ClassLicensing.tsx';
import { useI18n } from './i18n/i18n.tsx';
import { all, useLoad, type Load } from './load.ts';
import { Empty, Loaded, SchoolPicker, ViewHeading, type SchoolChoice } from './ui.tsx';

export function Classes(props: {
  client: LicenseClient;
  schools: SchoolChoice[];
  school: SchoolChoice | null;
  onSchool: (id: string) => void;
  loadState: Load<unknown>;
}) {
  const { client, school } = props;
  const { t } = useI18n();
  return (
    <>
      <section aria-labelledby="classes" className="card">
        <ViewHeading id="classes">{t('view_classes')}</ViewHeading>
        <Loaded load={props.loadState} what={t('what_schools')}>
          {() => (school ? <SchoolPicker schools={props.schools} school={school} onChange={props.onSchool} /> : <Empty>{t('noSchools')}</Empty>)}
        </Loaded>
      </section>
      {school ? <SchoolClasses key={school.id} client={client} school={school} /> : null}
    </>
  );
}

function SchoolClasses({ client, school }: { client: LicenseClient; school: SchoolChoice }) {
  const { t } = useI18n();
  const [load] = useLoad(() => all(client.groups({ school: school.id, pageSize: 100 })), [school.id]);
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section aria-labelledby="class-list" className="card">
      <h2 id="class-list">{t('classes', { school: school.name })}</h2>
      <Loaded load={load} what={t('what_classes')}>
        {(groups) =>
          groups.length === 0 ? (
            <Empty>{t('noClasses', { school: school.name })}</Empty>
          ) : (
            <ul className="rows" data-testid="classes">
              {groups.map((g) => (
                <GroupRow key={g.id} client={client} school={school} group={g} open={open === g.id} onToggle={() => setOpen(open === g.id ? null : g.id)} />
              ))}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}

function GroupRow(props: { client: LicenseClient; school: SchoolChoice; group: GroupFieldsFragment; open: boolean; onToggle: () => void }) {
  const { client, school, group, open, onToggle } = props;
  const { t } = useI18n();
  const membersId = `members-${group.id.replace(/\W/g, '')}`;
  return (
    <li className="row" data-testid="class" aria-label={group.name}>
      <div className="row-main">
        <strong>{group.name}</strong>
        <span className="tag">{t(`group_${group.kind}`)}</span>
        {group.schoolYear != null ? <span className="muted">{t('schoolYear', { year: group.schoolYear })}</span> : null}
      </div>
      <div className="actions">
        <button type="button" aria-expanded={open} aria-controls={membersId} onClick={onToggle}>
          {t('showMembers', { group: group.name })}
        </button>
      </div>
      {open ? (
        <div className="class-open" id={membersId}>
          <GroupMembers client={client} group={group} />
          <ClassLicensing client={client} school={school} group={group} />
        </div>
      ) : null}
    </li>
  );
}

function GroupMembers({ client, group }: { client: LicenseClient; group: GroupFieldsFragment }) {
  const { t, plural, day } = useI18n();
  const [load] = useLoad(async () => {
    const members = await all(client.groupMembers({ group: group.id, pageSize: 100 }));
    // Teachers first, then students, each by name.
    return members.sort((a, b) => (a.role === b.role ? a.user.name.localeCompare(b.user.name) : a.role === 'TEACHER' ? -1 : 1));
  }, [group.id]);
  const headingRef = useRef<HTMLHeadingElement>(null);
  // What just opened takes the focus, so a keyboard user continues there.
  useEffect(() => headingRef.current?.focus(), []);
  return (
    <div className="panel">
      <h3 ref={headingRef} tabIndex={-1}>
        {t('membersOf', { group: group.name })}
      </h3>
      <Loaded load={load} what={t('what_members')}>
        {(members) =>
          members.length === 0 ? (
            <Empty>{t('noMembers')}</Empty>
          ) : (
            <>
              <p className="muted" data-testid="member-count">
                {plural('membersCount', members.length)}
              </p>
              <ul className="members" aria-label={t('membersOf', { group: group.name })}>
                {members.map((m) => (
                  <li key={m.user.id} data-testid="member">
                    <span>{m.user.name}</span> <span className="tag">{t(`groupRole_${m.role}`)}</span>{' '}
                    <span className="muted">{t('since', { day: day(m.startedAt.slice(0, 10)) })}</span>
                  </li>
                ))}
              </ul>
            </>
          )
        }
      </Loaded>
    </div>
  );
}
