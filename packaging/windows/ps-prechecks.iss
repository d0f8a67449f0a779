; Inno Setup 6 script: the Windows installer of dist\ps-prechecks-wizard\ (both executables).
; Per-user install without administrator rights (into %LOCALAPPDATA%\Programs\ps-prechecks; an
; administrator may choose "for all users" instead), a Start-menu entry, an uninstaller in
; Settings > Apps. Built by packaging/build-windows.sh:
;   ISCC /DAppVersion=0.1.0 /DAppNumericVersion=0.1.0 packaging\windows\ps-prechecks.iss
#ifndef AppVersion
  #error Pass the version from prechecks/__init__.py: ISCC /DAppVersion=x.y.z (packaging/build-windows.sh does)
#endif
#ifndef AppNumericVersion
  #define AppNumericVersion AppVersion
#endif

[Setup]
; AppId identifies the product across versions (upgrades, uninstall): never change it
AppId={{AD406CFD-72EA-4BCA-A714-D4FD184C2FE9}
AppName=ps-prechecks
AppVersion={#AppVersion}
AppVerName=ps-prechecks {#AppVersion}
AppPublisher=ps-prechecks
AppComments=Pre-migration checks of a MySQL/MariaDB server for PlanetScale
VersionInfoVersion={#AppNumericVersion}
VersionInfoProductTextVersion={#AppVersion}
DefaultDirName={autopf}\ps-prechecks
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=commandline dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist
OutputBaseFilename=ps-prechecks-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\build\icons\ps-prechecks.ico
UninstallDisplayIcon={app}\ps-prechecks-wizard.exe
UninstallDisplayName=ps-prechecks {#AppVersion}
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
#ifdef Sign
; build-windows.sh defines the tool: /Ssigntool="<WINDOWS_SIGN_COMMAND> $f"
SignTool=signtool
SignedUninstaller=yes
#endif

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\dist\ps-prechecks-wizard\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\ps-prechecks"; Filename: "{app}\ps-prechecks-wizard.exe"; Comment: "Check a MySQL or MariaDB server before migrating it to PlanetScale"
Name: "{autodesktop}\ps-prechecks"; Filename: "{app}\ps-prechecks-wizard.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\ps-prechecks-wizard.exe"; Description: "{cm:LaunchProgram,ps-prechecks}"; Flags: nowait postinstall skipifsilent
