-- Hostile content for tests/cli/hostile_content.test.sh, brief date
-- 2025-10-01 (UTC). Every string below is something a user can type into the
-- web app; PostgreSQL itself refuses NUL bytes and invalid UTF-8 in text, so
-- those cannot be stored at all (the test shows that separately).
--   mallory: a one-line hostile name (quotes, angle brackets, a comma, an
--            address, a right-to-left override) and hostile projects, tasks
--            and notes; opted in.
--   eve:     a name with CRLF and a Bcc: header in it; opted in.
--   big:     1 MB strings in the name, a project name, two task titles (one
--            of "[](" repeated) and a note; opted in.
INSERT INTO users (id, email, name) VALUES
  ('dddddddd-0000-4000-8000-000000000001', 'mallory@example.com',
   E'"Mallory" <boss@evil.example>, Bcc: all@evil.example \u202Egnp.exe <script>alert(1)</script>'),
  ('dddddddd-0000-4000-8000-000000000002', 'eve@example.com',
   E'Eve\r\nBcc: victim@evil.example\r\nX-Injected: yes'),
  ('dddddddd-0000-4000-8000-000000000003', 'big@example.com', repeat('B', 1048576));

INSERT INTO user_brief_preferences (user_id, timezone, email_daily_brief)
SELECT id, 'UTC', true FROM users WHERE id::text LIKE 'dddddddd-%';

INSERT INTO projects (id, user_id, name, description, status, created_at) VALUES
  ('eeeeeeee-0000-4000-8000-000000000001', 'dddddddd-0000-4000-8000-000000000001',
   E'<script>alert(''project'')</script> & <img src=x onerror=alert(2)> [p](javascript:alert(3))',
   E'<iframe src="javascript:alert(4)"></iframe>', 'active', '2025-01-01T00:00:00Z'),
  ('eeeeeeee-0000-4000-8000-000000000002', 'dddddddd-0000-4000-8000-000000000001',
   E'Line one\r\nSubject: injected\r\n\r\n<b>body</b> \u202Etxt.exe', NULL, 'active', '2025-01-02T00:00:00Z'),
  ('eeeeeeee-0000-4000-8000-000000000003', 'dddddddd-0000-4000-8000-000000000002',
   E'Eve''s project\r\nBcc: victim2@evil.example', NULL, 'active', '2025-01-03T00:00:00Z'),
  ('eeeeeeee-0000-4000-8000-000000000004', 'dddddddd-0000-4000-8000-000000000003',
   repeat('P', 1048576), repeat('D', 1048576), 'active', '2025-01-04T00:00:00Z');

-- Task titles: every way we know to smuggle a link scheme or markup through
-- Markdown, one task each, all starting on the brief date.
INSERT INTO tasks (project_id, user_id, title, description, status, priority, start_date, updated_at)
SELECT 'eeeeeeee-0000-4000-8000-000000000001', 'dddddddd-0000-4000-8000-000000000001', t.title,
       E'<script>alert("desc")</script>', 'backlog', 'high',
       '2025-10-01T10:00:00Z'::timestamptz + t.n * interval '1 minute', '2025-09-30T00:00:00Z'
  FROM (VALUES
    (1, '[click](javascript:alert(1))'),
    (2, '<a href="javascript:alert(2)">raw anchor</a>'),
    (3, '[mixed case](JaVaScRiPt:alert(3))'),
    (4, '[leading space](  javascript:alert(4))'),
    (5, '<javascript:alert(5)>'),
    (6, '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCg2KTwvc2NyaXB0Pg==)'),
    (7, '![image](javascript:alert(7))'),
    (8, E'[reference][r]\n\n[r]: javascript:alert(8)'),
    (9, 'x](javascript:alert(9)) [y'),
    (10, '[vb](vbscript:msgbox(10))'),
    (11, '[entity](&#x6A;avascript:alert(11))'),
    (12, '[tab](java&#x09;script:alert(12))'),
    (13, '[percent](java%0ascript:alert(13))'),
    (14, '[file](file:///etc/passwd)'),
    (15, '<img src="x" onerror="alert(15)">'),
    (16, '<svg onload=alert(16)>'),
    (17, E'Title with CRLF\r\nBcc: evil@evil.example\r\n\r\n<script>alert(17)</script>'),
    (18, '<style>body{display:none}</style><!-- hidden -->'),
    (19, '[ok link](https://example.com/ok) and [rel](/relative/path)'),
    (20, E'RTL \u202Eevil\u202C and zero-width \u200B joiner \uFEFF bom'),
    (21, '[nested [brackets](javascript:alert(21))](https://example.com)'),
    (22, '<<script>script>alert(22)<</script>/script>'),
    (23, '[autolink-ish](<javascript:alert(23)>)'),
    (24, E'`code` **bold** <u>u</u> \\<script\\>alert(24)\\</script\\>'),
    (25, '![x](https://tracker.example/open.gif)'),
    (26, '[proto](//evil.example/a)'),
    (27, 'Fix [broken](javascript:alert(1)) link'),
    (28, '[Verify your account](https://evil.example/verify)')
  ) AS t(n, title);

INSERT INTO tasks (project_id, user_id, title, status, priority, start_date, updated_at) VALUES
  ('eeeeeeee-0000-4000-8000-000000000002', 'dddddddd-0000-4000-8000-000000000001',
   E'Second project task \u202Ereversed', 'backlog', 'medium', '2025-10-01T12:00:00Z', '2025-09-30T00:00:00Z'),
  ('eeeeeeee-0000-4000-8000-000000000003', 'dddddddd-0000-4000-8000-000000000002',
   E'Eve task\r\nTo: victim3@evil.example', 'backlog', 'medium', '2025-10-01T12:00:00Z', '2025-09-30T00:00:00Z'),
  ('eeeeeeee-0000-4000-8000-000000000004', 'dddddddd-0000-4000-8000-000000000003',
   repeat('T', 1048576), 'backlog', 'medium', '2025-10-01T12:00:00Z', '2025-09-30T00:00:00Z'),
  ('eeeeeeee-0000-4000-8000-000000000004', 'dddddddd-0000-4000-8000-000000000003',
   repeat('[](', 349526), 'backlog', 'medium', '2025-10-01T12:01:00Z', '2025-09-30T00:00:00Z');

INSERT INTO notes (project_id, user_id, title, content, updated_at) VALUES
  ('eeeeeeee-0000-4000-8000-000000000001', 'dddddddd-0000-4000-8000-000000000001',
   '<script>alert("note title")</script>',
   E'<script>alert("note")</script>\n[n](javascript:alert("note"))\n<img src=x onerror=alert(1)>',
   '2025-09-30T18:00:00Z'),
  ('eeeeeeee-0000-4000-8000-000000000004', 'dddddddd-0000-4000-8000-000000000003',
   repeat('N', 1048576), repeat('n', 1048576), '2025-09-30T18:00:00Z');
